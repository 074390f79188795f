"""The words a kept description may hold (Clean Descriptors fails closed): acquisition and anatomy terms from the
DICOM standard's code meanings and attribute names (as pydicom ships them), sequence names, numbers and units, and
English function words (spaCy's stop words).

A token nobody can explain (a name, a site's code, an ID) makes the description unexplained; the caller then removes
it with the basic profile's action. Person names are taken out of the vocabulary even where a code meaning holds
them as an eponym ("Cooper ligament"): Faker's en_US given and family names are never explained, except a few
plain words that are also family names.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Iterable

# Sequence names, acquisition and vendor protocol words the standard's code meanings do not spell out.
ACQUISITION = """
t1 t2 t1w t2w t2star pd flair mprage mp2rage spgr fspgr bravo tfl fl3d flash fisp fiesta truefisp vibe space cube
haste tse fse rare se gre ge ir stir epi bold dwi dti dki adc fa trace swi tof mra mrv asl pcasl pasl casl perf dsc
dce fmri rest resting task fieldmap field mapping phasediff magnitude mag pha phase sbref moco mosaic nd norm
localizer localiser loc scout survey tra trans ax axi axial cor coronal sag sagittal obl oblique iso isotropic
3d 2d 4d hires highres lowres fs fatsat fat sat water inphase opp opposed dixon ce gd pre post contrast
sense grappa ipat asset arc hyperband mb sms caipi cs ps rpe ap pa lr rl si is hf fh ref calib calibration
bias biasfield prescan pu mosaic ms mm cm um sec ms s hz khz mhz tesla mt gauss deg hr min bpm
routine research protocol study series brain head neck spine cspine tspine lspine chest abdomen pelvis knee hip
wrist shoulder ankle cardiac heart liver kidney breast prostate whole body wb wholebody orbit orbits iac sella
pituitary hippocampus hippo temporal frontal parietal occipital cerebellum stroke tumor tumour ms mri ct pet spect
nm us cr dx mg xa rf xr ecg ekg rt rtplan rtstruct rtdose dose plan structure set roi ptv ctv gtv oar body
external couch isocenter beam arc field fraction boost initial final vmat imrt sbrt srs 3dcrt
low high dose standard std soft tissue bone lung mediastinum window wl ww kernel recon reconstruction
filtered filter sharp smooth thin thick slice slices mip minip mpr vr volume rendering report reports key
images image selection object document summary findings impression diagnosis history indication
screening diagnostic follow up followup baseline visit scan rescan repeat original derived primary secondary
left right bilateral anterior posterior superior inferior lateral medial proximal distal upper lower
with without w wo and or of the for in on to no yes none other unknown test phantom qa qc
uncompressed compressed lossy lossless jpeg jpeg2000 rle little big endian explicit implicit vr
memory clinic clinical moved motion movement artifact artefact artifacts quality poor repeated repeat call contact
referred refer requested request please note notes comment comments scanned performed sedation sedated awake asleep
""".split()
# Family names that are also plain words a description may use (kept in the vocabulary).
PLAIN_WORDS = {"long", "short", "small", "white", "black", "gray", "grey", "cross", "case", "key", "day", "max",
               "branch", "horn", "colon", "wall", "little", "sharp", "field", "bone", "head", "body", "park"}
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?")
_SPLIT = re.compile(r"[^A-Za-z0-9.]+|(?<=[a-z])(?=[A-Z])|(?<=[A-Za-z])(?=\d)|(?<=\d)(?=[A-Za-z])")
MAX_DIGITS = 4  # longer digit runs may be dates, IDs or phone numbers


@lru_cache(maxsize=1)
def vocabulary() -> frozenset[str]:
    """Lower-case words the standard, pydicom's dictionary and ACQUISITION explain, less person names."""
    from pydicom.datadict import DicomDictionary
    from pydicom.sr._concepts_dict import concepts

    from spacy.lang.en.stop_words import STOP_WORDS

    words: set[str] = set(ACQUISITION) | {w.lower() for w in STOP_WORDS}
    for codes in concepts.values():
        for by_value in codes.values():
            for meaning, _ in by_value.values():
                words.update(w.lower() for w in re.findall(r"[A-Za-z]+", meaning))
    for entry in DicomDictionary.values():
        words.update(w.lower() for w in re.findall(r"[A-Za-z]+", entry[2]))
    return frozenset((words - person_names()) | set(ACQUISITION) | PLAIN_WORDS)


@lru_cache(maxsize=1)
def person_names() -> frozenset[str]:
    """Faker's en_US given and family names, lower case."""
    from faker.providers.person.en_US import Provider

    return frozenset(n.lower() for n in [*Provider.first_names, *Provider.last_names])


def tokens(text: str) -> list[str]:
    """Words and numbers of a description, split at punctuation, case changes and letter/digit boundaries."""
    return [t for t in _SPLIT.split(text) if t and t.strip(".")]


def explained(token: str) -> bool:
    """Whether a token is an acquisition/anatomy word, a short number or a unit."""
    token = token.strip(".")
    if not token:
        return True
    if token.replace(".", "").isdigit():
        return len(token.split(".")[0]) <= MAX_DIGITS
    if len(token) == 1 and token.isalpha():
        return True  # orientation letters, units, single-letter flags (A, P, L, R, S, I, W...)
    return token.lower() in vocabulary()


def unexplained(text: str, ignore: Iterable[str] = ()) -> list[str]:
    """The tokens of `text` the vocabulary cannot explain (after removing the `ignore` spans, e.g. surrogates)."""
    for span in sorted(set(ignore), key=len, reverse=True):
        if span:
            text = text.replace(span, " ")
    return [t for t in tokens(text) if not explained(t)]
