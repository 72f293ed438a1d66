"""Operations: the long-lived watch service, its schedule, stage runner and state, and backups."""
