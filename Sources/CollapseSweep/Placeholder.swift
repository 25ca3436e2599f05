enum CollapseSweepPlaceholder {}
