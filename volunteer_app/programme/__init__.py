"""The families' programme: public week-by-week listing of a centre's activities."""
