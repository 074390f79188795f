"""Audio de-identification: voice anonymization (McAdams coefficient), metadata-free rewrite, video soundtracks."""
