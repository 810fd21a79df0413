"""Where the money goes: funded projects, their money and progress (see models.py)."""
