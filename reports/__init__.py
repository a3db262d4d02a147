"""Daily reports: data (pure), PDF (reportlab), CSV, email."""
