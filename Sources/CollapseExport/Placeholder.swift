public enum CollapseExportPlaceholder {}
