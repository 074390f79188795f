"""MRI defacing: pydeface's template and face mask registered to the scan with antspyx, brain-loss bounds, QC."""
