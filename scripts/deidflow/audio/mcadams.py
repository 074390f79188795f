"""Voice anonymization by the McAdams coefficient (VoicePrivacy Challenge 2020/2022 baseline B2, Patino et al. 2021).

Each short frame is split by linear prediction into a spectral envelope (the all-pole LPC filter, whose complex poles
sit at the formants) and a residual (the excitation: pitch and voicing). The angle phi of every complex pole is moved
to phi**alpha (alpha < 1 raises formants below 1 rad and lowers those above it), the residual is filtered through the
moved envelope and the frames are overlap-added. Pitch, timing and duration stay; the formant pattern a speaker
verification system relies on moves. It needs no trained model. It is a weak anonymizer on its own (an attacker who
knows the method and trains on anonymized speech links speakers better than chance; VPC 2022 reports it): the
coefficient is therefore keyed per subject (`deidflow.audio.keys`) and never released.
"""

from __future__ import annotations

import numpy as np
from scipy.signal import lfilter

EPS = np.finfo(np.float32).eps


def frame_signal(x: np.ndarray, win: int, shift: int) -> tuple[np.ndarray, int]:
    """Frames of `win` samples every `shift` samples covering the whole of x (zero-padded at both ends)."""
    pad = win - shift
    n_frames = int(np.ceil((len(x) + pad) / shift))
    padded = np.zeros(pad + n_frames * shift + win)
    padded[pad:pad + len(x)] = x
    index = np.arange(win)[None, :] + shift * np.arange(n_frames)[:, None]
    return padded[index], pad


def lpc(frames: np.ndarray, order: int) -> np.ndarray:
    """LPC polynomials a (a[:, 0] == 1) of each frame by the autocorrelation method (Levinson-Durbin, vectorised)."""
    n = frames.shape[1]
    spec = np.fft.rfft(frames, 2 ** int(np.ceil(np.log2(2 * n))), axis=1)
    r = np.fft.irfft(np.abs(spec) ** 2, axis=1)[:, :order + 1]
    r[:, 0] = r[:, 0] * (1 + 1e-9) + EPS  # white-noise floor: silent frames stay stable
    a = np.zeros((frames.shape[0], order + 1))
    a[:, 0] = 1.0
    err = r[:, 0].copy()
    for i in range(1, order + 1):
        k = -(a[:, :i] * r[:, i:0:-1]).sum(axis=1) / err
        a[:, 1:i + 1] = a[:, 1:i + 1] + k[:, None] * a[:, i - 1::-1][:, :i]
        a[:, i] = k
        err = err * (1 - k ** 2)
    return a


def poles(a: np.ndarray) -> np.ndarray:
    """Roots of each LPC polynomial (eigenvalues of the stacked companion matrices)."""
    order = a.shape[1] - 1
    companion = np.zeros((a.shape[0], order, order))
    companion[:, 0, :] = -a[:, 1:]
    companion[:, np.arange(1, order), np.arange(order - 1)] = 1.0
    return np.linalg.eigvals(companion)


def warp_poles(roots: np.ndarray, alpha: float) -> np.ndarray:
    """Move every complex pole's angle phi to phi**alpha (its conjugate follows); real poles stay."""
    angle, radius = np.angle(roots), np.abs(roots)
    complex_ = np.abs(roots.imag) > 1e-12
    moved = np.clip(np.abs(angle) ** alpha, 0.0, np.pi) * np.sign(angle)
    return np.where(complex_, radius * np.exp(1j * moved), roots)


def anonymize(x: np.ndarray, sr: int, alpha: float, *, win_ms: float = 20.0, shift_ms: float = 10.0,
              order: int = 20) -> np.ndarray:
    """The McAdams-anonymized copy of a mono float signal: same length, rate and peak level."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 1:
        raise ValueError("anonymize() takes one channel; call it per channel")
    if len(x) == 0:
        return x.copy()
    win = max(int(win_ms * 0.001 * sr), order + 2)
    shift = max(int(shift_ms * 0.001 * sr), 1)
    window = np.hanning(win + 2)[1:-1]  # no zero end points
    # sqrt-Hann analysis and synthesis windows sum to a constant under overlap-add at this shift
    gain = window.sum() / shift
    window = np.sqrt(window / gain)
    frames, pad = frame_signal(x + EPS, win, shift)
    frames = frames * window
    a = lpc(frames, order)
    new_roots = warp_poles(poles(a), alpha)
    out = np.zeros(pad + frames.shape[0] * shift + win)
    for m in range(frames.shape[0]):
        residual = lfilter(a[m], [1.0], frames[m])
        a_new = np.real(np.poly(new_roots[m]))
        rebuilt = lfilter([1.0], a_new, residual) * window
        out[m * shift:m * shift + win] += rebuilt
    y = out[pad:pad + len(x)]
    y = np.nan_to_num(y, nan=0.0, posinf=0.0, neginf=0.0)
    peak_in, peak_out = np.max(np.abs(x)), np.max(np.abs(y))
    if peak_out > 0:
        y = y * (peak_in / peak_out)
    return y


def anonymize_channels(data: np.ndarray, sr: int, alpha: float, **options) -> np.ndarray:
    """anonymize() over each channel of a (frames,) or (frames, channels) array, same shape back."""
    if data.ndim == 1:
        return anonymize(data, sr, alpha, **options)
    return np.stack([anonymize(data[:, c], sr, alpha, **options) for c in range(data.shape[1])], axis=1)
