"""Microsoft.CostManagement: Cost Details reports (generateCostDetailsReport + operation results)."""
