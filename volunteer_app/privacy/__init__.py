"""Privacy for the person: their data as a download (Art. 15/20 GDPR) and their consents one by one."""
