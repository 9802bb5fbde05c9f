"""Messages from a centre's coordinators to its volunteers, through the outbox."""
