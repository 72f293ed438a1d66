"""Word lists of place mentions: what a word before or around a town says about its role."""

from __future__ import annotations

# a name right after these words is a street, a school or a station, not the place itself
STREET_WORDS = frozenset(
    {
        "rue",
        "avenue",
        "av",
        "boulevard",
        "bd",
        "place",
        "allee",
        "allees",
        "chemin",
        "impasse",
        "quai",
        "route",
        "cours",
        "square",
        "college",
        "lycee",
        "ecole",
        "gymnase",
        "stade",
        "gare",
        "pont",
        "porte",
        "groupe",
        "institut",
        "universite",
        "hopital",
        "clinique",
        "fondation",
        "prix",
        "lycees",
        "colleges",
        "ecoles",
        "mediatheque",
        "salle",
        "espace",
        "esplanade",
        "parvis",
        "immeuble",
        "immeubles",
        "batiment",
        "eglise",
        "chapelle",
        "paroisse",
        "foyer",
        "parc",
        # landmarks named after their town: "le château de Versailles", "l'Opéra de Paris", "l'aéroport
        # de Pamandzi" (pool dev, 7 Dec: the landmark, not where the initiative is)
        "chateau",
        "musee",
        "opera",
        "theatre",
        "cathedrale",
        "basilique",
        "abbaye",
        "palais",
        "aeroport",
    }
)
DEFINITE_ARTICLES = frozenset({"le", "la", "les", "l"})
RELATION_WORDS = frozenset(
    {
        "pres",
        "nord",
        "sud",
        "est",
        "ouest",
        "proche",
        "banlieue",
        "environs",
        "region",
        "portes",
        "periphérie",
        "rive",
        "droite",
        "gauche",
    }
)
# a town right after these words is where an organisation was born or is based, or a comparison:
# "fondée en 1998 à Lyon", "créée à Cergy", "comme à Paris", "après celui de La Courneuve"
PASSING_WORDS = frozenset(
    {
        "fonde",
        "fondee",
        "fondes",
        "fondees",
        "cree",
        "creee",
        "crees",
        "creees",
        "nee",
        "siege",
        "originaire",
        "comme",
        "apres",
        "contrairement",
        "exemple",
        "bientot",
        "prochainement",
    }
)
PASSING_WINDOW = 4  # words looked at before the town, within its sentence
# a town in the complement of these nouns belongs to a partner, a supplier or an event, not to the
# initiative: "une entreprise de Rennes", "des étudiants bénévoles de Grenoble", "lors d'un colloque à
# Bordeaux", "la fondation d'une grande banque à Paris", "une entreprise d'insertion installée à
# Aubervilliers"
SECONDARY_NOUNS = frozenset(
    {
        "entreprise",
        "entreprises",
        "societe",
        "banque",
        "cabinet",
        "agence",
        "etudiants",
        "etudiantes",
        "benevoles",
        "artistes",
        "collectif",
        "chercheurs",
        "colloque",
        "congres",
        "salon",
        "forum",
        "conference",
        "seminaire",
        # the singulars, and events that name their host town ("un étudiant de Bobigny", "les jeux
        # olympiques de Paris"; pool dev, 7 Dec)
        "etudiant",
        "etudiante",
        "benevole",
        "artiste",
        "chercheur",
        "chercheuse",
        "festival",
        "jeux",
        "olympiques",
        "paralympiques",
        "assises",
        "sommet",
        "ceremonie",
        "rencontres",
        "trophees",
    }
)
# a town after these words, in the few words before it, is elsewhere: a trajectory, a model, an imitator
# ("passés par une formation à Lille", "s'inspire d'un dispositif lancé à Saint-Pierre", "une
# expérimentation similaire ... à Strasbourg", "la ville voisine de Viry-Châtillon")
ELSEWHERE_WORDS = frozenset(
    {
        "passe",
        "passes",
        "passee",
        "passees",
        "inspire",
        "inspiree",
        "similaire",
        "semblable",
        "comparable",
        "voisine",
        "voisin",
        "egalement",  # "gère également une boutique à Parthenay": another site of the organisation
    }
)
ELSEWHERE_WINDOW = 6
GOVERNING_STEPS = 4  # words between an organisation noun and the town's preposition, at most
SECONDARY_LINKS = frozenset({"a", "au", "de", "d", "du"})
STRONG_LOCATIVES = frozenset({"a", "au", "aux"})
WEAK_LOCATIVES = frozenset({"de", "d", "du", "des", "sur", "en", "vers", "pres", "dans"})
LINK_WORDS = frozenset({"de", "d", "du"})
PLACE_NOUNS = frozenset(
    {"ville", "commune", "mairie", "habitants", "communes", "maire", "centre", "territoire"}
)
# a town after these words names an authority or an office, not where things happen: "la Métropole de
# Lille" (a funder), "le sous-préfet de Mortagne", "la communauté de communes du Val de Drôme"
AUTHORITY_WORDS = frozenset(
    {"metropole", "agglomeration", "agglo", "prefet", "prefete", "prefecture", "communaute"}
)
# a demonym after these words names an area, not the town: "en région parisienne", "la banlieue
# lyonnaise", "la petite couronne parisienne" (pool dev, 7 Dec)
AREA_WORDS = frozenset({"region", "banlieue", "couronne", "peripherie"})
# a capitalised name right after one of these given names is a surname ("Laurence Pavie", "Daniel
# Blanchard", "Paul Bert"), not a town or a neighbourhood: common French given names, general knowledge
GIVEN_NAMES = frozenset(
    [
        "agnes",
        "alain",
        "albert",
        "alexandre",
        "andre",
        "anne",
        "anthony",
        "antoine",
        "arnaud",
        "aurelie",
        "benoit",
        "bernard",
        "brigitte",
        "bruno",
        "caroline",
        "catherine",
        "cedric",
        "celine",
        "chantal",
        "charles",
        "christiane",
        "christine",
        "christophe",
        "claude",
        "colette",
        "daniel",
        "danielle",
        "david",
        "denis",
        "didier",
        "dominique",
        "elodie",
        "emile",
        "emilie",
        "emma",
        "eric",
        "fabien",
        "fabrice",
        "fatima",
        "florence",
        "francoise",
        "francois",
        "franck",
        "georges",
        "gerard",
        "gilles",
        "gregory",
        "guillaume",
        "helene",
        "herve",
        "hugo",
        "isabelle",
        "jacqueline",
        "jacques",
        "jean",
        "jeremy",
        "jerome",
        "joel",
        "jonathan",
        "julie",
        "julien",
        "karim",
        "karine",
        "kevin",
        "laurence",
        "laurent",
        "lea",
        "leila",
        "louis",
        "luc",
        "lucas",
        "ludovic",
        "manon",
        "marc",
        "marie",
        "martine",
        "mathieu",
        "maxime",
        "melanie",
        "michel",
        "michele",
        "mickael",
        "mohamed",
        "monique",
        "nadia",
        "nadine",
        "nathalie",
        "nicolas",
        "nicole",
        "olivier",
        "pascal",
        "patricia",
        "patrick",
        "paul",
        "philippe",
        "pierre",
        "rachid",
        "rene",
        "robert",
        "samir",
        "sandrine",
        "sarah",
        "sebastien",
        "serge",
        "severine",
        "sophie",
        "stephane",
        "stephanie",
        "sylvie",
        "thierry",
        "thomas",
        "valerie",
        "veronique",
        "vincent",
        "virginie",
        "xavier",
        "yannick",
        "yasmine",
        "yves",
    ]
)
INSIDE_WORDS = frozenset({"dans", "sur", "territoire", "toute", "ensemble"})
# "des entrepreneurs qui viennent de Paris": where people come from, not where things happen
ORIGIN_VERBS = frozenset(
    {"viennent", "vient", "venus", "venues", "venu", "venue", "venant", "arrives", "arrivees", "originaires"}
)
