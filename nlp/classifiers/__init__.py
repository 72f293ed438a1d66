"""scikit-learn compatible estimators for document kind, initiative detection and innovation types."""
