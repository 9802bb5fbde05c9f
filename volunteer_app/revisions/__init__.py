"""What changed when: a revision per centre and person that database triggers move on every
write the public pages and the calendar feeds show (docs/feeds.md, "Revisions")."""
