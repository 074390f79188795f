"""EEG, MEG, iEEG and physiological recordings: headers, annotations and BIDS sidecars de-identified (part `eeg`)."""
