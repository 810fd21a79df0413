"""Budget rounds and proposals: submission, feasibility review, versions, support."""
