"""The patient's survey: links, the page flow, storing answers, the instrument cache."""
