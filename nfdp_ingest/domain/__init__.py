"""Domain knowledge shared by sheet/, api/ and ena/: ENA vocabularies,
checklists, and the rules of a valid experiment. No I/O beyond reading the
shipped data files."""

from .checklists import DEFAULT_CHECKLIST, Checklist, Field, get_checklist, list_checklists
from .experiment import check_experiment

__all__ = ["DEFAULT_CHECKLIST", "Checklist", "Field", "check_experiment", "get_checklist", "list_checklists"]
