"""Lists of services to hand over, and the printed wegwijzer per village (issue #19)."""
