"""participants.tsv, its JSON description and a phenotype table for the demo study."""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path

from .people import Person

PARTICIPANT_COLUMNS = {
    "participant_id": "Participant label",
    "full_name": "Full name (direct identifier)",
    "email": "E-mail address (direct identifier)",
    "phone": "Phone number (direct identifier)",
    "street_address": "Street address (direct identifier)",
    "city": "City of residence",
    "postcode": "ZIP code",
    "country": "Country of residence",
    "date_of_birth": "Date of birth (YYYY-MM-DD)",
    "national_id": "National ID number (SSN-like)",
    "emergency_contact": "Emergency contact (a relative's name)",
    "sex": "Sex (M/F)",
    "age": "Age at the first visit, in years",
    "education": "Highest education",
    "occupation": "Occupation",
    "employer": "Employer",
    "diagnosis": "Primary diagnosis (sensitive)",
    "prescription": "Current prescription (sensitive)",
    "total_spent": "Total spent on care in the last year, USD (sensitive)",
}
VISIT_COLUMNS = ["participant_id", "visit_date", "systolic_bp", "diastolic_bp", "weight_kg", "moca_score"]


def participant_row(person: Person) -> dict[str, str]:
    return {
        "participant_id": person.participant_id,
        "full_name": person.full_name,
        "email": person.email,
        "phone": person.phone,
        "street_address": person.street_address,
        "city": person.city,
        "postcode": person.postcode,
        "country": person.country,
        "date_of_birth": person.date_of_birth.isoformat(),
        "national_id": person.national_id,
        "emergency_contact": person.relatives[0][1] if person.relatives else "n/a",
        "sex": person.sex,
        "age": str(person.age),
        "education": person.education,
        "occupation": person.occupation,
        "employer": person.employer,
        "diagnosis": person.diagnosis,
        "prescription": person.prescription,
        "total_spent": f"{person.total_spent:.2f}",
    }


def write_tables(study_dir: Path, people: list[Person], seed: int) -> list[Path]:
    """Write participants.tsv/.json and phenotype/visits.tsv (two or three visits per person)."""
    rng = random.Random(seed)
    study_dir.mkdir(parents=True, exist_ok=True)
    participants = study_dir / "participants.tsv"
    with participants.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(PARTICIPANT_COLUMNS), delimiter="\t", lineterminator="\n")
        writer.writeheader()
        for person in people:
            writer.writerow(participant_row(person))
    described = study_dir / "participants.json"
    described.write_text(json.dumps({k: {"Description": v} for k, v in PARTICIPANT_COLUMNS.items()}, indent=2) + "\n")
    (study_dir / "phenotype").mkdir(exist_ok=True)
    visits = study_dir / "phenotype" / "visits.tsv"
    with visits.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(VISIT_COLUMNS)
        for person in people:
            for n in range(rng.randint(2, 3)):
                day = person.visit_date.toordinal() + n * rng.randint(60, 120)
                writer.writerow([
                    person.participant_id,
                    type(person.visit_date).fromordinal(day).isoformat(),
                    rng.randint(105, 165), rng.randint(60, 100), round(rng.uniform(50, 110), 1), rng.randint(18, 30),
                ])
    return [participants, described, visits]
