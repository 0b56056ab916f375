"""The application layer: what reviewers, trainers and analysts do, shared by the browser app and the CLI.

Reviewing (review, commands, review_session, event_cache), adding recordings (recordings, uploads,
folders, sample), importing events (importing), rendering for trainers (playback), analysing
(analysis), the codebook's forms (codebook_io) and the server's state (serverinfo). Nothing here
imports streamlit or click: annotate/ui and annotate/cli call these modules, never the reverse.
"""
