"""Review: what each topic's briefing holds, what changed, what an editor would send back."""
