"""Recall per transcript language on held-out passages: written once, after the recognizers, and not tuned against
(the passages in tests/test_text_languages.py were used while building the recognizers, so their recall of 1.0 is
in-sample). Prints recall (a gold value counts only when wholly covered), precision and over-redaction per language,
by the detectors alone and with the planted values as the study's known identifiers; writes
benchmarks/text/languages.json. Run once from the repo root: `.venv/bin/python benchmarks/text/languages.py`."""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
warnings.filterwarnings("ignore", message=r".*W095.*")

from deidflow.text.deidentify import TextConfig, find_entities, study_deny  # noqa: E402
from deidflow.text.engine import analyzer  # noqa: E402
from deidflow.text.evaluate import score  # noqa: E402

# (text, [(value, kind)]): kinds as identifiers.columns would give them (for the "known" run).
HELD_OUT = {
    "fr": [
        ("Participant: Bonjour, je suis Hélène Marchand. Depuis 2015 je vis au 27 avenue Jean Jaurès à "
         "Villeurbanne avec mon compagnon, Bertrand Lefèvre. Vous pouvez m'écrire à helene.marchand@orange.fr ou "
         "m'appeler au 04 78 12 34 56.",
         [("Hélène Marchand", "name"), ("27 avenue Jean Jaurès", "address"), ("Villeurbanne", "place"),
          ("Bertrand Lefèvre", "name"), ("helene.marchand@orange.fr", "email"), ("04 78 12 34 56", "phone")]),
        ("Participant: Ma fille Camille travaille à la mairie de Besançon. On s'est mariés le 14 juillet 1992 à "
         "Dijon, et mon médecin traitant, le docteur Perrin, me suit depuis.",
         [("Camille", "name"), ("Besançon", "place"), ("14 juillet 1992", "date"), ("Dijon", "place"),
          ("Perrin", "name")]),
        ("Participant: J'ai grandi à Saint-Étienne, rue Michelet, puis j'ai déménagé au 3 place Bellecour, "
         "69002 Lyon, le 2 septembre 2010.",
         [("Saint-Étienne", "place"), ("rue Michelet", "address"), ("3 place Bellecour", "address"),
          ("69002", "address"), ("2 septembre 2010", "date")]),
    ],
    "es": [
        ("Participant: Hola, soy Carmen Navarro Gil. Vivo en Getafe, en la calle Toledo 18, 3º B, con mi marido "
         "Andrés. Mi correo es carmen.navarro@gmail.com y mi teléfono 699 88 77 66.",
         [("Carmen Navarro Gil", "name"), ("Getafe", "place"), ("calle Toledo 18, 3º B", "address"),
          ("Andrés", "name"), ("carmen.navarro@gmail.com", "email"), ("699 88 77 66", "phone")]),
        ("Participant: Trabajé veinte años en Salamanca. Mi hija Paula nació el 9 de octubre de 1996 en el Hospital "
         "de Cruces, en Barakaldo.",
         [("Salamanca", "place"), ("Paula", "name"), ("9 de octubre de 1996", "date"), ("Barakaldo", "place")]),
        ("Participant: Mi NIE es X1234567L y el médico que me atiende es el doctor Castillo, en la plaza del "
         "Pilar 5, 50003 Zaragoza.",
         [("X1234567L", "id"), ("Castillo", "name"), ("plaza del Pilar 5", "address"), ("50003", "address"),
          ("Zaragoza", "place")]),
    ],
    "fi": [
        ("Participant: Nimeni on Sanna Heikkinen ja asun Jyväskylässä, osoite on Kauppakatu 21 C 14, 40100 "
         "Jyväskylä. Sähköpostini on sanna.heikkinen@gmail.com ja puhelin 044 555 1234.",
         [("Sanna Heikkinen", "name"), ("Jyväskylässä", "place"), ("Kauppakatu 21 C 14", "address"),
          ("40100", "address"), ("Jyväskylä", "place"), ("sanna.heikkinen@gmail.com", "email"),
          ("044 555 1234", "phone")]),
        ("Participant: Mieheni Pekka on kotoisin Porista. Menimme naimisiin 12. kesäkuuta 1988 Turussa, ja "
         "poikamme Ville asuu nyt Vaasassa.",
         [("Pekka", "name"), ("Porista", "place"), ("12. kesäkuuta 1988", "date"), ("Turussa", "place"),
          ("Ville", "name"), ("Vaasassa", "place")]),
        ("Participant: Henkilötunnukseni on 250375-123U. Lääkärini on Lahtinen ja hän työskentelee "
         "Meilahden sairaalassa Helsingissä.",
         [("250375-123U", "id"), ("Lahtinen", "name"), ("Meilahden", "place"), ("Helsingissä", "place")]),
    ],
    "de": [
        ("Participant: Guten Tag, mein Name ist Monika Wagner. Ich wohne in Dresden, Königsbrücker Straße 45, "
         "01099 Dresden. Meine E-Mail ist m.wagner@web.de und mein Telefon 0351 4567890.",
         [("Monika Wagner", "name"), ("Dresden", "place"), ("Königsbrücker Straße 45", "address"),
          ("01099", "address"), ("m.wagner@web.de", "email"), ("0351 4567890", "phone")]),
        ("Participant: Mein Bruder Thomas arbeitet seit Jahren in Stuttgart. Wir haben am 21. März 1995 in "
         "Heidelberg geheiratet, und Herr Zimmermann war unser Trauzeuge.",
         [("Thomas", "name"), ("Stuttgart", "place"), ("21. März 1995", "date"), ("Heidelberg", "place"),
          ("Zimmermann", "name")]),
        ("Participant: Nach der Reha in Bad Kissingen bin ich zu meiner Tochter Lena nach Rostock gezogen, "
         "Am Strande 8.",
         [("Bad Kissingen", "place"), ("Lena", "name"), ("Rostock", "place"), ("Am Strande 8", "address")]),
    ],
    "it": [
        ("Participant: Buongiorno, sono Francesca Romano e abito a Bologna, in via dell'Indipendenza 34. "
         "La mia email è f.romano@libero.it e il mio numero 051 234 5678.",
         [("Francesca Romano", "name"), ("Bologna", "place"), ("via dell'Indipendenza 34", "address"),
          ("f.romano@libero.it", "email"), ("051 234 5678", "phone")]),
        ("Participant: Mio marito Alessandro è nato il 7 aprile 1960 a Palermo. Nostra figlia Chiara vive "
         "a Genova.",
         [("Alessandro", "name"), ("7 aprile 1960", "date"), ("Palermo", "place"), ("Chiara", "name"),
          ("Genova", "place")]),
    ],
}


def passages(language: str) -> list[dict]:
    out = []
    for n, (text, planted) in enumerate(HELD_OUT[language]):
        gold = []
        for value, kind in planted:
            start = text.index(value)
            gold.append({"start": start, "end": start + len(value), "field": value, "known": True,
                         "value": value, "kind": kind})
        out.append({"id": f"{language}{n}", "text": text, "gold": gold})
    return out


def main() -> None:
    results = {}
    for language in sorted(HELD_OUT):
        cfg = TextConfig(language=language)
        engine = analyzer(language=language)
        for known in (False, True):
            def detect(passage: dict) -> list[tuple[int, int]]:
                items = [{"value": g["value"], "kind": g["kind"]} for g in passage["gold"]] if known else []
                deny, _ = study_deny(items, cfg)
                return [(r.start, r.end) for r in find_entities(passage["text"], "txt", engine, deny, cfg)]

            result = score(passages(language), detect)
            key = f"{language}{'+known' if known else ''}"
            results[key] = {k: (round(v, 3) if isinstance(v, float) else v) for k, v in result.items()}
            print(f"{key:10s} recall {result['recall']:.3f}  precision {result['precision']:.3f}  over-redaction "
                  f"{result['over_redaction']:.3f}  gold {result['gold_spans']}  missed {result['missed']}")
    (Path(__file__).parent / "languages.json").write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
