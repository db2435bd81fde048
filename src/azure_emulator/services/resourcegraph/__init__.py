"""Azure Resource Graph: POST providers/Microsoft.ResourceGraph/resources with a KQL subset."""
