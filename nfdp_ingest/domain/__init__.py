"""Domain knowledge shared by sheet/, api/ and ena/: ENA vocabularies,
checklists (ENA's own and NFDP profiles), what ENA requires of a sample, and
the rules of a valid experiment. No I/O beyond reading the shipped data files."""

from .checklists import DEFAULT_CHECKLIST, Checklist, Field, get_checklist, list_checklists
from .ena_sample import EnaAttribute, check_ena_sample, ena_attributes, ena_checklist_id
from .experiment import check_experiment

__all__ = ["DEFAULT_CHECKLIST", "Checklist", "EnaAttribute", "Field", "check_ena_sample", "check_experiment",
           "ena_attributes", "ena_checklist_id", "get_checklist", "list_checklists"]
