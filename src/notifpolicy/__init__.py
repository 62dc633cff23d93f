"""notifpolicy."""
