enum CollapsePlotPlaceholder {}
