"""Name pools for generated identities (kept small; combinations give variety)."""

FIRST_NAMES = [
    "Adele", "Alex", "Amara", "Ben", "Bianca", "Carlos", "Chen", "Dana", "Diego", "Elena",
    "Emeka", "Farah", "Grace", "Hana", "Ibrahim", "Isabel", "Jonas", "Julia", "Kenji", "Lara",
    "Leo", "Lidia", "Lynne", "Marta", "Megan", "Miguel", "Nadia", "Nestor", "Noah", "Omar",
    "Patti", "Priya", "Quentin", "Rafael", "Rosa", "Sami", "Sofia", "Tariq", "Uma", "Victor",
    "Wei", "Xavier", "Yara", "Yusuf", "Zoe", "Anika", "Bruno", "Camille", "Dmitri", "Esther",
]
LAST_NAMES = [
    "Vance", "Wilber", "Adams", "Brown", "Costa", "Dubois", "Eriksen", "Fischer", "Garcia",
    "Hansen", "Ito", "Jensen", "Kowalski", "Larsen", "Martin", "Nakamura", "Okafor", "Patel",
    "Quinn", "Rossi", "Schmidt", "Tanaka", "Ueda", "Varga", "Weber", "Xu", "Yilmaz", "Zhang",
    "Novak", "Silva", "Moreau", "Kim", "Lopez", "Singh", "Cohen", "Meyer", "Santos", "Berg",
]
DEPARTMENTS = [
    "Finance", "Engineering", "Sales", "Marketing", "Operations", "IT", "Human Resources",
    "Legal", "Research", "Customer Support",
]
JOB_TITLES = {
    "Finance": ["Financial Analyst", "Controller", "FinOps Lead"],
    "Engineering": ["Software Engineer", "Site Reliability Engineer", "Engineering Manager"],
    "Sales": ["Account Executive", "Sales Manager"],
    "Marketing": ["Marketing Specialist", "Product Marketing Manager"],
    "Operations": ["Operations Manager", "Logistics Coordinator"],
    "IT": ["Cloud Administrator", "IT Support Specialist", "Security Engineer"],
    "Human Resources": ["HR Generalist", "Recruiter"],
    "Legal": ["Counsel", "Paralegal"],
    "Research": ["Data Scientist", "Research Scientist"],
    "Customer Support": ["Support Engineer", "Support Lead"],
}
LOCATIONS = ["US", "GB", "DE", "FR", "NL", "IN", "JP", "BR", "CA", "AU"]
GROUP_NAMES = [
    "All Employees", "Finance Team", "Cloud Admins", "Platform Engineering", "Sales EMEA",
    "Sales Americas", "Marketing", "Security Operations", "Data Science", "Support Tier 2",
    "Contractors", "Executives", "FinOps Champions", "Azure Subscription Owners",
]
APP_NAMES = [
    "Backup Orchestrator", "HR Sync Connector", "Build Agent", "Monitoring Exporter",
    "Ticketing Integration", "Data Lake Loader", "Expense Bot", "Inventory Scanner",
    "Marketing Analytics", "Teams Provisioner", "Log Shipper", "Partner Portal",
]
PASSWORD_WORDS = [
    "Amber", "Birch", "Cobalt", "Delta", "Ember", "Falcon", "Granite", "Harbor", "Indigo",
    "Juniper", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchid", "Pioneer", "Quartz", "Raven",
]
