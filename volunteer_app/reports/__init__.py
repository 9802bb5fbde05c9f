"""Hours, certificates of volunteering and reports for centres and funders."""
