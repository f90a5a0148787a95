"""Date and time formats per language (settings.FORMAT_MODULE_PATH), over Django's own for what is not said here.

One format per language on every page: Korean prose dates 2026년 12월 1일 and table dates 2026-12-01, English
1 Dec 2026 for both. Times are on the 24-hour clock in both. Dates are typed as year-month-day in both languages
(web/forms.py), never as the browser's or Django's American month/day/year."""
