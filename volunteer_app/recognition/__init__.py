"""Recognition in Thuringia: Ehrenamtscard figures, Ehrenamtszertifikat, card holders."""
