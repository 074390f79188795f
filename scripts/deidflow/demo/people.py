"""Fake study participants with every kind of identifier a real study holds (Faker, seeded)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from faker import Faker

EDUCATION = ["Primary", "Secondary", "Vocational", "Bachelors", "Masters", "Doctorate"]
DIAGNOSES = ["Hypertension", "Type 2 diabetes", "Asthma", "Migraine", "Depression", "Healthy control", "Epilepsy"]
PRESCRIPTIONS = ["Lisinopril", "Metformin", "Salbutamol", "Sumatriptan", "Sertraline", "None", "Levetiracetam"]
RELATIONS = ["mother", "father", "sister", "brother", "wife", "husband", "daughter", "son"]
VISIT_START = dt.date(2024, 1, 8)


@dataclass
class Person:
    """One fake participant: direct identifiers, quasi-identifiers and sensitive values."""

    label: str  # the BIDS subject label (folder sub-<label>); looks like a site record number
    first_name: str
    last_name: str
    nickname: str
    sex: str  # "M" or "F"
    date_of_birth: dt.date
    visit_date: dt.date
    email: str
    phone: str
    street_address: str
    city: str
    postcode: str
    country: str
    national_id: str
    education: str
    occupation: str
    employer: str
    hospital: str
    physician: str
    diagnosis: str
    prescription: str
    total_spent: float
    relatives: list[tuple[str, str]] = field(default_factory=list)  # (relation, full name)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def dicom_name(self) -> str:
        """The name as DICOM writes it (Last^First)."""
        return f"{self.last_name}^{self.first_name}"

    @property
    def age(self) -> int:
        """Age in whole years at the visit."""
        born, at = self.date_of_birth, self.visit_date
        return at.year - born.year - ((at.month, at.day) < (born.month, born.day))

    @property
    def participant_id(self) -> str:
        return f"sub-{self.label}"


def make_people(n: int, seed: int) -> list[Person]:
    """Return n deterministic fake participants (same seed, same people)."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)
    people: list[Person] = []
    used_labels: set[str] = set()
    for _ in range(n):
        sex = rng.choice("MF")
        first = fake.first_name_male() if sex == "M" else fake.first_name_female()
        last = fake.last_name()
        label = f"{rng.choice(['BX', 'CH', 'NW'])}{rng.randint(1000, 9999)}"
        while label in used_labels:
            label = f"{rng.choice(['BX', 'CH', 'NW'])}{rng.randint(1000, 9999)}"
        used_labels.add(label)
        visit = VISIT_START + dt.timedelta(days=rng.randint(0, 500))
        born = visit - dt.timedelta(days=rng.randint(18 * 365, 85 * 365))
        diag = rng.randrange(len(DIAGNOSES))
        relatives = []
        for relation in rng.sample(RELATIONS, 2):
            rel_first = fake.first_name_female() if relation in ("mother", "sister", "wife", "daughter") else fake.first_name_male()
            relatives.append((relation, f"{rel_first} {last}"))
        people.append(
            Person(
                label=label,
                first_name=first,
                last_name=last,
                nickname=first[:3] + "ie" if len(first) > 3 else first + "y",
                sex=sex,
                date_of_birth=born,
                visit_date=visit,
                email=f"{first}.{last}{rng.randint(1, 99)}@{fake.free_email_domain()}".lower(),
                phone=f"({rng.randint(201, 989)}) {rng.randint(200, 999)}-{rng.randint(0, 9999):04d}",
                street_address=fake.street_address(),
                city=fake.city(),
                postcode=f"{rng.randint(10000, 99999)}",
                country=rng.choice(["United States", "United States", "United States", "Canada", "Mexico"]),
                national_id=f"{rng.randint(100, 899):03d}-{rng.randint(10, 99):02d}-{rng.randint(1000, 9999):04d}",
                education=rng.choice(EDUCATION),
                occupation=fake.job(),
                employer=fake.company(),
                hospital=f"{fake.city()} General Hospital",
                physician=f"Dr. {fake.first_name()} {fake.last_name()}",
                diagnosis=DIAGNOSES[diag],
                prescription=PRESCRIPTIONS[diag],
                total_spent=round(rng.lognormvariate(6.5, 0.8), 2),
                relatives=relatives,
            )
        )
    return people
