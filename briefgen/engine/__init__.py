"""The build engine: wires the stages, caches and parallelises them, writes the output all at once."""
