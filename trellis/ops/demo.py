"""A deterministic, fictional demo organisation: people, departments, communities and activity.

Two halves:

- `plan_org` is pure: from a size, a seed and "now" it builds the whole organisation in memory
  (plain dataclasses, no database). The same seed always gives the same names, emails, titles,
  reporting lines, memberships and activity.
- `demo_generate` writes a plan inside one transaction. Primary keys for people and memberships
  are reserved up front (a PostgreSQL sequence, or past SQLite's AUTOINCREMENT high-water mark),
  so managers are linked in the same pass; the big tables go in as plain values through
  `core.bulk.fast_insert` (bulk_create's per-field Python work is most of a minute at 50,000
  people), the small ones through bulk_create.

Everyone shares one password hash (hashing 50,000 passwords would take hours), so a visitor can
log in as the demo admin or as any demo person with `DEMO_PASSWORD`.

Names are built from our own lists, grouped by cultural origin and mixed per office the way a
multinational's staff list is, not with a fake-data library.
"""

from __future__ import annotations

import heapq
import math
import random
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from itertools import accumulate
from typing import Any, Literal

from django.contrib.auth.hashers import make_password
from django.db import connection, models, transaction
from django.db.models import Q
from django.utils import timezone

from trellis.communities.models import Community, Membership, Role, Sponsorship, Status, Visibility
from trellis.communities.services import community_recount_members
from trellis.core.bulk import database_rows, fast_insert
from trellis.core.models import Activity
from trellis.expertise.services.routing import routing_waiting_after_commit
from trellis.insights.services.levels import levels_rebuild
from trellis.insights.services.snapshots import snapshots_refresh
from trellis.ops.demo_agendas import demo_agendas_create
from trellis.ops.demo_events import demo_events_create
from trellis.ops.demo_facilitation import demo_facilitation_create
from trellis.ops.demo_knowledge import DEFAULT_LIFE, LIVES, demo_knowledge_generate, lately_since
from trellis.ops.demo_reports import demo_reports_create
from trellis.ops.demo_requests import demo_join_requests_create
from trellis.ops.demo_stories import demo_stories_create
from trellis.people.models import Department, Person
from trellis.qa.models import Post
from trellis.radar.models import DomainProposal
from trellis.radar.services import radar_refresh
from trellis.search.services import documents_reindex_after_commit

ORG_NAME = "Larkspur"
EMAIL_DOMAIN = "demo.trellis.local"
ADMIN_EMAIL = f"admin@{EMAIL_DOMAIN}"
DEMO_PASSWORD = "trellis-demo"  # noqa: S105 (the documented, public demo password)
DEFAULT_SIZE = 300
DEFAULT_SEED = 42
MIN_SIZE = 50
MAX_SIZE = 200_000
COMPANY_AGE_YEARS = 10.5


class DemoError(Exception):
    """The demo cannot be generated here (the database already holds an organisation...)."""


# --------------------------------------------------------------------------------------------
# Reference data: names, offices, departments, communities.
# --------------------------------------------------------------------------------------------

# fmt: off

NAME_GROUPS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "anglo": (
        ("Oliver", "Amelia", "Jack", "Olivia", "Harry", "Isla", "George", "Emily", "Noah",
         "Grace", "James", "Sophie", "William", "Chloe", "Thomas", "Lucy", "Ethan", "Hannah",
         "Liam", "Ella", "Daniel", "Megan", "Samuel", "Charlotte", "Ryan", "Abigail", "Owen",
         "Zoe", "Aidan", "Siobhan", "Fiona", "Callum"),
        ("Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies",
         "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
         "Wood", "Clarke", "Hughes", "Edwards", "Turner", "Murphy", "O'Brien", "Kelly",
         "Campbell", "Stewart", "Anderson", "Bennett", "Fletcher", "MacLeod", "Gallagher"),
    ),
    "hispanic": (
        ("Sofía", "Mateo", "Valentina", "Santiago", "Camila", "Diego", "Lucía", "Alejandro",
         "Isabella", "Javier", "Mariana", "Carlos", "Daniela", "Andrés", "Paula", "Miguel",
         "Elena", "Pablo", "Carmen", "Luis", "Ximena", "Rafael", "Gabriela", "Jorge"),
        ("García", "Rodríguez", "Martínez", "Hernández", "López", "González", "Pérez",
         "Sánchez", "Ramírez", "Torres", "Flores", "Rivera", "Gómez", "Díaz", "Morales", "Ortiz",
         "Castillo", "Romero", "Vargas", "Mendoza", "Ruiz", "Herrera", "Medina", "Aguilar"),
    ),
    "lusophone": (
        ("João", "Ana", "Pedro", "Beatriz", "Lucas", "Inês", "Tiago", "Larissa", "Gustavo",
         "Juliana", "Bruno", "Thiago", "Fernanda", "Rodrigo", "Leonor", "Felipe", "Carolina",
         "Vinícius", "Letícia", "André", "Bianca", "Matheus", "Rita", "Duarte"),
        ("Silva", "Santos", "Oliveira", "Souza", "Costa", "Pereira", "Ferreira", "Almeida",
         "Carvalho", "Ribeiro", "Rodrigues", "Gomes", "Martins", "Araújo", "Barbosa", "Rocha",
         "Lima", "Cardoso", "Teixeira", "Moreira", "Nascimento", "Correia", "Pinto", "Fonseca"),
    ),
    "germanic": (
        ("Lukas", "Hannah", "Jonas", "Lena", "Felix", "Mia", "Maximilian", "Lea", "Finn",
         "Johanna", "Leon", "Clara", "Niklas", "Sven", "Ingrid", "Lars", "Freya", "Erik",
         "Astrid", "Daan", "Sanne", "Bram", "Femke", "Matthias", "Katharina", "Anneke"),
        ("Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Meyer", "Wagner", "Becker",
         "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann", "de Vries",
         "van Dijk", "Bakker", "Jansen", "Visser", "Hansen", "Johansson", "Nielsen",
         "Lindqvist", "Berg", "Andersen"),
    ),
    "romance": (
        ("Camille", "Louis", "Chloé", "Hugo", "Manon", "Antoine", "Léa", "Julien", "Margaux",
         "Théo", "Giulia", "Marco", "Francesca", "Luca", "Chiara", "Matteo", "Alessia",
         "Lorenzo", "Elisa", "Giorgio", "Amélie", "Baptiste", "Sara", "Nicolas"),
        ("Martin", "Bernard", "Dubois", "Robert", "Richard", "Petit", "Durand", "Leroy",
         "Moreau", "Laurent", "Lefebvre", "Fontaine", "Rossi", "Russo", "Ferrari", "Esposito",
         "Bianchi", "Romano", "Colombo", "Ricci", "Marino", "Greco", "Bruno", "Conti"),
    ),
    "slavic": (
        ("Anna", "Piotr", "Katarzyna", "Tomasz", "Agnieszka", "Marek", "Magdalena", "Jakub",
         "Zofia", "Pavel", "Ivana", "Dmitri", "Olena", "Andriy", "Natalia", "Mikhail", "Tereza",
         "Ondřej", "Ivan", "Milena", "Bogdan", "Yulia", "Stefan", "Daria", "Ioana", "Bence"),
        ("Nowak", "Kowalski", "Wiśniewska", "Wójcik", "Kamiński", "Lewandowski", "Zielińska",
         "Novák", "Svoboda", "Dvořák", "Horvat", "Kovačević", "Petrov", "Ivanova", "Shevchenko",
         "Kovalenko", "Bondarenko", "Popescu", "Ionescu", "Nagy", "Szabó", "Kovács", "Georgiev",
         "Marković"),
    ),
    "west_african": (
        ("Chidi", "Adaeze", "Emeka", "Ngozi", "Oluwaseun", "Folake", "Kwame", "Ama", "Kofi",
         "Abena", "Tunde", "Yetunde", "Chinedu", "Ifeoma", "Babajide", "Funmilayo", "Yaw",
         "Efua", "Ousmane", "Aminata", "Moussa", "Fatou", "Ibrahima", "Awa"),
        ("Okafor", "Adeyemi", "Okonkwo", "Eze", "Nwosu", "Balogun", "Adebayo", "Mensah",
         "Owusu", "Boateng", "Asante", "Osei", "Diallo", "Ndiaye", "Traoré", "Coulibaly",
         "Bello", "Obi", "Afolabi", "Ogunleye", "Danso", "Sow", "Keita", "Achebe"),
    ),
    "east_african": (
        ("Wanjiru", "Kamau", "Akinyi", "Otieno", "Njeri", "Mwangi", "Achieng", "Kiprono",
         "Amani", "Baraka", "Zawadi", "Juma", "Neema", "Tendai", "Chipo", "Tafadzwa", "Abebe",
         "Selam", "Dawit", "Hirut", "Mekdes", "Tesfaye", "Faraji", "Imani"),
        ("Mwangi", "Kamau", "Odhiambo", "Otieno", "Wanjiku", "Kiplagat", "Njoroge", "Mutua",
         "Ochieng", "Cheruiyot", "Kibet", "Moyo", "Ncube", "Dlamini", "Nkosi", "Mokoena",
         "Tesfaye", "Bekele", "Haile", "Girma", "Mengistu", "Alemu", "Nyambura", "Waweru"),
    ),
    "south_asian": (
        ("Aarav", "Priya", "Rohan", "Ananya", "Arjun", "Diya", "Vikram", "Kavya", "Rahul",
         "Sneha", "Aditya", "Meera", "Karthik", "Lakshmi", "Siddharth", "Pooja", "Imran",
         "Ayesha", "Farhan", "Nadia", "Harpreet", "Gurpreet", "Nikhil", "Shreya", "Sanjay",
         "Deepa", "Tanvir", "Nusrat"),
        ("Sharma", "Patel", "Singh", "Kumar", "Gupta", "Reddy", "Iyer", "Nair", "Rao", "Menon",
         "Mehta", "Joshi", "Chopra", "Banerjee", "Mukherjee", "Das", "Pillai", "Krishnan",
         "Verma", "Agarwal", "Khan", "Hussain", "Chaudhry", "Siddiqui", "Desai", "Bhat",
         "Rahman", "Perera"),
    ),
    "chinese": (
        ("Wei", "Jing", "Hao", "Xinyi", "Yuxuan", "Mei", "Jun", "Ling", "Zhiwei", "Yan", "Lei",
         "Fang", "Tao", "Hui", "Ming", "Qian", "Kai", "Xiu", "Bo", "Lan", "Jian", "Rui", "Yue",
         "Shu"),
        ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou", "Xu",
         "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Tan", "Lim", "Ng", "Wong"),
    ),
    "japanese": (
        ("Haruto", "Yui", "Sota", "Hina", "Ren", "Aoi", "Takumi", "Sakura", "Kenji", "Yuki",
         "Hiroshi", "Emi", "Daichi", "Naomi", "Riku", "Mio"),
        ("Sato", "Suzuki", "Takahashi", "Tanaka", "Watanabe", "Ito", "Yamamoto", "Nakamura",
         "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Inoue"),
    ),
    "korean": (
        ("Min-jun", "Seo-yeon", "Ji-ho", "Ha-eun", "Ji-soo", "Hyun-woo", "Soo-ah", "Dong-hyun",
         "Eun-ji", "Tae-yang", "Ye-jin", "Joon-young"),
        ("Kim", "Lee", "Park", "Choi", "Jung", "Kang", "Cho", "Yoon", "Jang", "Han", "Shin",
         "Seo"),
    ),
    "vietnamese": (
        ("Minh", "Linh", "Anh", "Thao", "Duc", "Huong", "Quang", "Mai", "Khanh", "Phuong",
         "Tuan", "Trang"),
        ("Nguyen", "Tran", "Le", "Pham", "Hoang", "Vu", "Dang", "Bui", "Do", "Ngo"),
    ),
    "filipino": (
        ("Maria", "Jose", "Angelica", "Mark", "Kristine", "Paolo", "Carmela", "Rafael",
         "Bea", "Miguel", "Joy", "Jericho"),
        ("Reyes", "Cruz", "Bautista", "Villanueva", "Dela Cruz", "Ramos", "Aquino", "Mercado",
         "Castro", "Navarro"),
    ),
    "indonesian": (
        ("Putri", "Budi", "Ayu", "Rizky", "Dewi", "Arif", "Siti", "Agus", "Intan", "Fajar"),
        ("Wijaya", "Santoso", "Hidayat", "Pratama", "Saputra", "Kusuma", "Halim", "Setiawan"),
    ),
    "arabic": (
        ("Omar", "Layla", "Youssef", "Fatima", "Ahmed", "Mariam", "Karim", "Yasmin", "Hassan",
         "Noor", "Khalid", "Salma", "Tariq", "Rania"),
        ("Haddad", "Khalil", "Nasser", "Saleh", "Mansour", "Farouk", "Hamdan", "Aziz",
         "El-Amin", "Bakri", "Sabbagh", "Qasim"),
    ),
    "turkish": (
        ("Mehmet", "Elif", "Emre", "Zeynep", "Can", "Ayşe", "Burak", "Defne", "Murat", "Selin"),
        ("Yılmaz", "Kaya", "Demir", "Şahin", "Çelik", "Öztürk", "Aydın", "Arslan", "Doğan"),  # noqa: RUF001
    ),
    "persian": (
        ("Dariush", "Shirin", "Reza", "Parisa", "Arash", "Leila", "Kian", "Nasrin", "Babak",
         "Roya"),
        ("Ahmadi", "Hosseini", "Karimi", "Rahimi", "Moradi", "Jafari", "Tehrani", "Farahani"),
    ),
    "hebrew": (
        ("Noa", "Yael", "Eitan", "Tamar", "Ari", "Shira", "Noam", "Maya", "Avi", "Talia"),
        ("Cohen", "Levi", "Mizrahi", "Friedman", "Katz", "Peretz", "Ben-David", "Shapiro"),
    ),
}

# Office -> (share of headcount, mix of name origins among the staff there).
LOCATIONS: dict[str, tuple[float, dict[str, int]]] = {
    "London": (0.16, {"anglo": 44, "south_asian": 14, "west_african": 8, "romance": 7,
                      "slavic": 7, "germanic": 4, "arabic": 4, "chinese": 4, "hispanic": 3,
                      "east_african": 2, "persian": 2, "hebrew": 1}),
    "Berlin": (0.10, {"germanic": 52, "turkish": 12, "slavic": 12, "romance": 6, "anglo": 5,
                      "arabic": 5, "persian": 3, "hispanic": 3, "vietnamese": 2}),
    "Lisbon": (0.07, {"lusophone": 58, "hispanic": 10, "romance": 9, "anglo": 6, "germanic": 5,
                      "slavic": 5, "west_african": 4, "south_asian": 3}),
    "New York": (0.14, {"anglo": 34, "hispanic": 16, "south_asian": 10, "chinese": 8,
                        "west_african": 6, "hebrew": 5, "korean": 4, "romance": 6, "slavic": 5,
                        "filipino": 3, "arabic": 3}),
    "Toronto": (0.07, {"anglo": 30, "south_asian": 16, "chinese": 12, "romance": 10,
                       "filipino": 6, "persian": 6, "east_african": 4, "hispanic": 4,
                       "korean": 4, "vietnamese": 4, "slavic": 4}),
    "São Paulo": (0.06, {"lusophone": 74, "japanese": 7, "romance": 7, "hispanic": 6,
                         "arabic": 4, "germanic": 2}),
    "Bangalore": (0.10, {"south_asian": 96, "anglo": 2, "chinese": 2}),
    "Singapore": (0.06, {"chinese": 50, "south_asian": 14, "indonesian": 10, "filipino": 8,
                         "vietnamese": 6, "anglo": 6, "korean": 3, "japanese": 3}),
    "Nairobi": (0.05, {"east_african": 82, "south_asian": 8, "west_african": 5, "anglo": 5}),
    "Lagos": (0.04, {"west_african": 95, "anglo": 3, "arabic": 2}),
    "Tokyo": (0.03, {"japanese": 84, "korean": 6, "anglo": 5, "chinese": 5}),
    "Remote (Europe)": (0.07, {"germanic": 18, "slavic": 20, "romance": 20, "anglo": 14,
                               "lusophone": 8, "hispanic": 8, "turkish": 6, "arabic": 6}),
    "Remote (Americas)": (0.05, {"anglo": 40, "hispanic": 30, "lusophone": 10,
                                 "south_asian": 8, "chinese": 6, "west_african": 6}),
}

EMEA = ("London", "Berlin", "Lisbon", "Nairobi", "Lagos", "Remote (Europe)")
AMERICAS = ("New York", "Toronto", "São Paulo", "Remote (Americas)")
APAC = ("Singapore", "Bangalore", "Tokyo")

Ladder = Literal["tech", "biz", "pm", "legal", "none"]
LADDERS: dict[str, tuple[str, str, str, str, str]] = {
    "tech": ("Junior ", "", "Senior ", "Staff ", "Principal "),
    "biz": ("Associate ", "", "Senior ", "Lead ", "Principal "),
    "pm": ("Associate ", "", "Senior ", "Group ", "Principal "),
    "legal": ("Associate ", "", "Senior ", "Senior ", "Lead "),
    "none": ("", "", "", "", ""),
}


@dataclass(frozen=True, slots=True)
class DeptSpec:
    slug: str
    name: str
    parent: str | None
    weight: float
    head_title: str
    manager_noun: str
    roles: tuple[tuple[str, Ladder], ...]
    skills: tuple[str, ...]
    locations: tuple[str, ...] = ()


DEPARTMENTS: tuple[DeptSpec, ...] = (
    DeptSpec("executive", "Executive Office", None, 0.004, "Chief Executive Officer",
             "Executive Operations",
             (("Chief of Staff", "none"), ("Executive Assistant", "none"),
              ("Strategy Analyst", "biz")), ("strategy", "OKRs", "board reporting")),
    DeptSpec("engineering", "Engineering", None, 0.012, "Chief Technology Officer",
             "Engineering", (("Technical Program Manager", "biz"), ("Software Architect", "none")),
             ("system design", "code review", "technical leadership")),
    DeptSpec("platform", "Platform", "engineering", 0.07, "Head of Platform",
             "Platform Engineering",
             (("Platform Engineer", "tech"), ("Site Reliability Engineer", "tech")),
             ("Linux", "networking", "on-call")),
    DeptSpec("data", "Data", "engineering", 0.06, "Head of Data", "Data & Analytics",
             (("Data Engineer", "tech"), ("Data Scientist", "tech"),
              ("Analytics Engineer", "tech"), ("Data Analyst", "tech")),
             ("SQL", "Python", "statistics")),
    DeptSpec("product-engineering", "Product Engineering", "engineering", 0.015,
             "VP of Product Engineering", "Engineering", (("Software Engineer", "tech"),),
             ("code review", "system design")),
    DeptSpec("web", "Web", "product-engineering", 0.10, "Head of Web Engineering", "Engineering",
             (("Frontend Engineer", "tech"), ("Full-Stack Engineer", "tech"),
              ("Backend Engineer", "tech"), ("QA Engineer", "tech")),
             ("JavaScript", "REST APIs", "PostgreSQL")),
    DeptSpec("mobile", "Mobile", "product-engineering", 0.055, "Head of Mobile Engineering",
             "Mobile Engineering",
             (("iOS Engineer", "tech"), ("Android Engineer", "tech"),
              ("Mobile QA Engineer", "tech")), ("Swift", "Kotlin", "React Native")),
    DeptSpec("security", "Security", "engineering", 0.025, "Chief Information Security Officer",
             "Security", (("Security Engineer", "tech"), ("Security Analyst", "tech"),
                          ("GRC Specialist", "biz")),
             ("risk assessment", "vulnerability management")),
    DeptSpec("design", "Design", None, 0.05, "VP of Design", "Design",
             (("Product Designer", "tech"), ("UX Researcher", "tech"),
              ("Content Designer", "tech"), ("Brand Designer", "tech")),
             ("Figma", "visual design", "workshop facilitation")),
    DeptSpec("product", "Product", None, 0.05, "Chief Product Officer", "Product",
             (("Product Manager", "pm"), ("Product Analyst", "biz"),
              ("Product Operations Manager", "none")),
             ("roadmapping", "product discovery", "user stories")),
    DeptSpec("sales", "Sales", None, 0.03, "Chief Revenue Officer", "Sales",
             (("Sales Operations Analyst", "biz"), ("Deal Desk Specialist", "biz")),
             ("Salesforce", "forecasting", "negotiation")),
    DeptSpec("sales-emea", "Sales EMEA", "sales", 0.05, "VP of Sales, EMEA", "Sales",
             (("Account Executive", "biz"), ("Sales Development Representative", "none"),
              ("Solutions Engineer", "tech")), ("prospecting", "negotiation", "Salesforce"),
             EMEA),
    DeptSpec("sales-americas", "Sales Americas", "sales", 0.06, "VP of Sales, Americas",
             "Sales", (("Account Executive", "biz"), ("Sales Development Representative", "none"),
                       ("Solutions Engineer", "tech")),
             ("prospecting", "negotiation", "Salesforce"), AMERICAS),
    DeptSpec("sales-apac", "Sales APAC", "sales", 0.04, "VP of Sales, APAC", "Sales",
             (("Account Executive", "biz"), ("Sales Development Representative", "none"),
              ("Solutions Engineer", "tech")), ("prospecting", "negotiation", "Salesforce"),
             APAC),
    DeptSpec("marketing", "Marketing", None, 0.06, "Chief Marketing Officer", "Marketing",
             (("Product Marketing Manager", "biz"), ("Content Marketer", "biz"),
              ("Growth Marketer", "biz"), ("Events Manager", "none"),
              ("Marketing Designer", "tech")), ("copywriting", "SEO", "campaign analytics")),
    DeptSpec("finance", "Finance", None, 0.04, "Chief Financial Officer", "Finance",
             (("Financial Analyst", "biz"), ("Accountant", "biz"), ("FP&A Analyst", "biz"),
              ("Payroll Specialist", "none")), ("Excel", "financial modelling", "budgeting")),
    DeptSpec("people", "People", None, 0.025, "Chief People Officer", "People Operations",
             (("People Partner", "biz"), ("Learning & Development Specialist", "biz"),
              ("People Operations Specialist", "biz")),
             ("coaching", "employee relations", "learning design")),
    DeptSpec("talent", "Talent Acquisition", "people", 0.02, "Head of Talent Acquisition",
             "Talent Acquisition",
             (("Recruiter", "biz"), ("Sourcer", "biz"), ("Recruiting Coordinator", "none")),
             ("interviewing", "sourcing", "employer branding")),
    DeptSpec("operations", "Operations", None, 0.025, "Chief Operating Officer",
             "Business Operations",
             (("Operations Analyst", "biz"), ("Procurement Specialist", "biz"),
              ("Workplace Coordinator", "none"), ("Business Operations Manager", "none")),
             ("process improvement", "vendor management", "Excel")),
    DeptSpec("it", "IT", "operations", 0.025, "Head of IT", "IT",
             (("IT Support Specialist", "biz"), ("Systems Administrator", "tech"),
              ("IT Asset Coordinator", "none")), ("Okta", "Google Workspace", "device management")),
    DeptSpec("legal", "Legal", None, 0.015, "General Counsel", "Legal Operations",
             (("Counsel", "legal"), ("Paralegal", "biz"), ("Privacy Counsel", "legal"),
              ("Contracts Manager", "none")), ("contract drafting", "GDPR", "negotiation")),
    DeptSpec("customer-success", "Customer Success", None, 0.04, "VP of Customer Success",
             "Customer Success",
             (("Customer Success Manager", "biz"), ("Onboarding Specialist", "biz"),
              ("Renewals Manager", "none")), ("account management", "onboarding", "QBRs")),
    DeptSpec("support", "Support", "customer-success", 0.07, "Head of Support", "Support",
             (("Support Specialist", "biz"), ("Support Engineer", "tech"),
              ("Technical Account Manager", "none")),
             ("troubleshooting", "Zendesk", "escalation handling")),
)
DEPT_INDEX = {spec.slug: i for i, spec in enumerate(DEPARTMENTS)}
ADMIN_DEPARTMENT = "people"
ADMIN_TITLE = "Knowledge & Community Programme Lead"


@dataclass(frozen=True, slots=True)
class CommunitySpec:
    name: str
    slug: str
    domain: str
    affinity: dict[str, float]
    skills: tuple[str, ...]
    topics: tuple[str, ...]
    share: float = 0.0  # target membership as a fraction of the organisation (0: drawn)
    status: str = ""  # "" = drawn
    visibility: str = Visibility.PUBLIC
    founded_years_ago: float = 0.0  # 0: drawn


MAIN_COMMUNITIES: tuple[CommunitySpec, ...] = (
    CommunitySpec(
        "Data & Analytics Practice", "data-analytics",
        "Turning data into decisions: SQL, modelling, dashboards and the judgement to read "
        "them honestly.",
        {"data": 1.0, "finance": 0.7, "marketing": 0.5, "product": 0.5, "operations": 0.4,
         "customer-success": 0.3, "sales": 0.2},
        ("SQL", "dbt", "Tableau", "Looker", "Excel", "statistics", "Airflow"),
        ("data visualisation", "analytics", "experimentation"),
        share=0.26, status=Status.THRIVING, founded_years_ago=7.2),
    CommunitySpec(
        "Python Guild", "python",
        "Writing, testing and shipping Python well, from scripts and services to data "
        "pipelines.",
        {"data": 1.0, "platform": 0.7, "engineering": 0.6, "web": 0.5, "security": 0.3},
        ("Python", "pytest", "Django", "FastAPI", "asyncio", "type hints", "packaging"),
        ("python", "testing", "clean code"),
        share=0.2, status=Status.THRIVING, founded_years_ago=8.1),
    CommunitySpec(
        "Customer Voice", "customer-voice",
        "Bringing what customers tell us (tickets, calls, churn reasons) to the people who "
        "build and sell the product.",
        {"customer-success": 1.0, "support": 1.0, "sales": 0.6, "product": 0.6,
         "marketing": 0.4},
        ("customer interviews", "Zendesk", "Salesforce", "churn analysis", "onboarding",
         "escalation handling"),
        ("customer experience", "feedback", "retention"),
        share=0.13, status=Status.GROWING, founded_years_ago=3.6),
    CommunitySpec(
        "Kubernetes & Cloud Native", "kubernetes",
        "Running containers in production: Kubernetes, Helm, service meshes and the "
        "operational habits that keep them boring.",
        {"platform": 1.0, "engineering": 0.4, "security": 0.4, "it": 0.3, "web": 0.3},
        ("Kubernetes", "Helm", "Terraform", "Docker", "AWS", "GCP", "Prometheus"),
        ("cloud infrastructure", "devops", "observability"),
        share=0.11, status=Status.THRIVING, founded_years_ago=6.3),
    CommunitySpec(
        "Frontend Craft", "frontend",
        "Building fast, accessible interfaces for the web: TypeScript, React, CSS and browser "
        "performance.",
        {"web": 1.0, "product-engineering": 0.6, "mobile": 0.5, "design": 0.4},
        ("TypeScript", "React", "CSS", "web performance", "Storybook", "htmx"),
        ("frontend", "web performance", "design systems"),
        share=0.09, status=Status.GROWING, founded_years_ago=5.1),
    CommunitySpec(
        "UX Research & Design", "ux-design",
        "Understanding users and designing for them: research methods, interaction design and "
        "design systems.",
        {"design": 1.0, "product": 0.7, "web": 0.4, "mobile": 0.4, "marketing": 0.2},
        ("Figma", "user research", "usability testing", "prototyping", "design systems",
         "interaction design"),
        ("user experience", "design thinking", "design systems"),
        share=0.08, status=Status.GROWING, founded_years_ago=4.8),
    CommunitySpec(
        "Product Management Circle", "product-management",
        "The craft of deciding what to build and why: discovery, prioritisation, roadmaps and "
        "outcomes over output.",
        {"product": 1.0, "design": 0.3, "marketing": 0.3, "engineering": 0.2,
         "customer-success": 0.2},
        ("product discovery", "roadmapping", "OKRs", "A/B testing", "stakeholder management",
         "jobs to be done"),
        ("product strategy", "discovery", "experimentation"),
        share=0.06, status=Status.GROWING, founded_years_ago=4.2),
    CommunitySpec(
        "Machine Learning Reading Group", "ml-reading-group",
        "Reading and reproducing machine-learning papers, and putting models into production "
        "responsibly.",
        {"data": 1.0, "engineering": 0.2, "product": 0.1},
        ("machine learning", "PyTorch", "scikit-learn", "NLP", "MLOps", "LLMs"),
        ("machine learning", "AI ethics", "research papers"),
        share=0.05, status=Status.GROWING, founded_years_ago=2.7),
    CommunitySpec(
        "Agile & Ways of Working", "ways-of-working",
        "How teams plan, run and improve their work: Scrum, Kanban, retrospectives and "
        "facilitation.",
        {"product": 0.5, "operations": 0.5, "engineering": 0.3, "people": 0.3},
        ("Scrum", "Kanban", "facilitation", "retrospectives", "Jira", "lean"),
        ("agile", "team health", "facilitation"),
        share=0.045, status=Status.DORMANT, founded_years_ago=9.0),
    CommunitySpec(
        "Writing & Documentation", "docs-writing",
        "Clear writing at work: docs, RFCs, runbooks, release notes and plain language for "
        "everyone.",
        {"product": 0.4, "design": 0.4, "marketing": 0.4, "engineering": 0.3, "legal": 0.3,
         "people": 0.3, "support": 0.3},
        ("technical writing", "RFCs", "editing", "Markdown", "information architecture",
         "plain language"),
        ("writing", "documentation", "knowledge sharing"),
        share=0.035, status=Status.SEED, founded_years_ago=0.35),
    CommunitySpec(
        "Accessibility Champions", "accessibility",
        "Making everything we build and publish usable by everyone: WCAG, assistive technology "
        "and inclusive design.",
        {"design": 0.8, "web": 0.8, "mobile": 0.6, "marketing": 0.3, "legal": 0.2},
        ("WCAG", "screen readers", "inclusive design", "ARIA", "colour contrast"),
        ("accessibility", "inclusion"),
        share=0.025, status=Status.SEED, founded_years_ago=0.2),
    CommunitySpec(
        "Security Council", "security-council",
        "Incident response and data security: threat models, the security on-call, and the "
        "decisions we cannot discuss in the open.",
        {"security": 1.0, "it": 0.5, "platform": 0.4, "legal": 0.3},
        ("incident response", "threat modelling", "SIEM", "penetration testing", "IAM",
         "SOC 2", "cryptography"),
        ("security", "privacy", "incident response"),
        share=0.03, status=Status.THRIVING, visibility=Visibility.PRIVATE,
        founded_years_ago=6.0),
)

# More, smaller communities for bigger organisations (12 + size // 2000 in all).
EXTRA_COMMUNITIES: tuple[CommunitySpec, ...] = (
    CommunitySpec("Observability & SRE", "observability",
                  "Knowing what production is doing: metrics, tracing, SLOs and calm on-call.",
                  {"platform": 1.0, "web": 0.4, "support": 0.2},
                  ("Prometheus", "OpenTelemetry", "Grafana", "SLOs", "on-call"),
                  ("observability", "reliability")),
    CommunitySpec("Mobile Developers", "mobile-dev",
                  "Shipping great iOS and Android apps: architecture, releases and testing.",
                  {"mobile": 1.0, "design": 0.2}, ("Swift", "Kotlin", "React Native",
                                                    "app store releases"), ("mobile apps",)),
    CommunitySpec("Testing & Quality", "testing-quality",
                  "Confidence in what we ship: test strategy, automation and exploratory testing.",
                  {"web": 0.6, "mobile": 0.6, "platform": 0.3},
                  ("pytest", "Playwright", "test automation", "exploratory testing"),
                  ("testing", "quality")),
    CommunitySpec("API Design", "api-design",
                  "Designing APIs people enjoy using: REST, OpenAPI, versioning and errors.",
                  {"web": 0.7, "platform": 0.5, "product": 0.2},
                  ("REST APIs", "OpenAPI", "GraphQL", "API versioning"), ("api design",)),
    CommunitySpec("Databases & SQL", "databases",
                  "PostgreSQL, query plans, migrations and keeping data correct under load.",
                  {"data": 0.7, "platform": 0.6, "web": 0.5},
                  ("PostgreSQL", "SQL", "query tuning", "migrations"), ("databases",)),
    CommunitySpec("Compensation & Pay Equity Working Group", "pay-equity",
                  "Fair, explainable pay: bands, reviews and equity audits (confidential).",
                  {"people": 1.0, "finance": 0.6, "legal": 0.4},
                  ("compensation", "pay equity", "people analytics"), ("fair pay",),
                  visibility=Visibility.PRIVATE),
    CommunitySpec("Sales Enablement", "sales-enablement",
                  "Helping sellers win: playbooks, demos, objection handling and onboarding.",
                  {"sales": 1.0, "marketing": 0.5, "customer-success": 0.3},
                  ("Salesforce", "demo skills", "objection handling", "prospecting"),
                  ("selling", "enablement")),
    CommunitySpec("Negotiation Lab", "negotiation",
                  "Practising negotiation for deals, vendors and everyday disagreements.",
                  {"sales": 0.7, "legal": 0.6, "operations": 0.5},
                  ("negotiation", "contract drafting", "vendor management"), ("negotiation",)),
    CommunitySpec("Brand & Storytelling", "brand-storytelling",
                  "Telling our story consistently, from the website to a conference talk.",
                  {"marketing": 1.0, "design": 0.5}, ("copywriting", "brand strategy",
                                                      "visual design"), ("storytelling",)),
    CommunitySpec("SEO & Content", "seo-content",
                  "Content people search for and find: SEO, editorial calendars and analytics.",
                  {"marketing": 1.0}, ("SEO", "copywriting", "campaign analytics"),
                  ("content marketing",)),
    CommunitySpec("Financial Modelling", "financial-modelling",
                  "Spreadsheets that survive contact with reality: models, forecasts, scenarios.",
                  {"finance": 1.0, "operations": 0.4, "sales": 0.2},
                  ("Excel", "financial modelling", "forecasting", "budgeting"),
                  ("finance", "forecasting")),
    CommunitySpec("Public Speaking Club", "public-speaking",
                  "Getting better at talks, demos and all-hands updates, with friendly feedback.",
                  {"sales": 0.3, "marketing": 0.3, "product": 0.3, "engineering": 0.2},
                  ("public speaking", "presentation design", "storytelling"),
                  ("public speaking", "storytelling")),
    CommunitySpec("New Managers Forum", "new-managers",
                  "First-time managers helping each other: one-to-ones, feedback and hiring.",
                  {"people": 0.5, "engineering": 0.3, "sales": 0.3, "support": 0.3},
                  ("coaching", "one-to-ones", "giving feedback", "hiring"),
                  ("leadership", "management")),
    CommunitySpec("Mentoring Circle", "mentoring",
                  "Matching mentors and mentees across departments, and getting better at both.",
                  {"people": 0.6, "talent": 0.3}, ("coaching", "mentoring", "career development"),
                  ("mentoring", "career growth")),
    CommunitySpec("Incident Postmortems", "postmortems",
                  "Blameless postmortems: learning from incidents and sharing what we learned.",
                  {"platform": 0.8, "security": 0.6, "support": 0.4},
                  ("incident response", "root cause analysis", "on-call"),
                  ("incident response", "reliability")),
    CommunitySpec("Open Source Programme", "open-source",
                  "Contributing upstream and releasing our own projects responsibly.",
                  {"engineering": 0.6, "platform": 0.4, "legal": 0.3},
                  ("open source", "licensing", "Git"), ("open source",)),
    CommunitySpec("Privacy & Data Protection", "privacy",
                  "GDPR in practice: privacy by design, DPIAs and data subject requests.",
                  {"legal": 1.0, "security": 0.6, "data": 0.3},
                  ("GDPR", "DPIA", "data retention", "privacy by design"), ("privacy",)),
    CommunitySpec("Developer Experience", "developer-experience",
                  "Faster feedback loops for engineers: tooling, CI, local environments, docs.",
                  {"platform": 0.8, "web": 0.5, "mobile": 0.4},
                  ("CI/CD", "GitHub Actions", "developer tooling", "Bazel"),
                  ("developer productivity",)),
    CommunitySpec("Procurement & Vendors", "procurement",
                  "Buying well: vendor selection, contracts, renewals and software spend.",
                  {"operations": 1.0, "finance": 0.5, "it": 0.5, "legal": 0.3},
                  ("vendor management", "procurement", "contract negotiation"),
                  ("procurement",)),
    CommunitySpec("People Analytics", "people-analytics",
                  "Evidence for people decisions: engagement surveys, attrition and hiring data.",
                  {"people": 0.8, "talent": 0.7, "data": 0.3},
                  ("people analytics", "survey design", "SQL"), ("people analytics",)),
    CommunitySpec("Growth Marketing", "growth-marketing",
                  "Experiments across the funnel: acquisition, activation and lifecycle email.",
                  {"marketing": 1.0, "product": 0.3, "data": 0.2},
                  ("A/B testing", "lifecycle email", "campaign analytics", "SEO"),
                  ("growth", "experimentation")),
    CommunitySpec("Design Systems", "design-systems",
                  "One component library for every product: tokens, components and governance.",
                  {"design": 0.9, "web": 0.8, "mobile": 0.4},
                  ("design systems", "Figma", "Storybook", "design tokens"),
                  ("design systems",)),
    CommunitySpec("Support Engineering", "support-engineering",
                  "Debugging customer problems deeply: logs, reproductions and tooling.",
                  {"support": 1.0, "platform": 0.3, "web": 0.2},
                  ("troubleshooting", "SQL", "log analysis", "escalation handling"),
                  ("customer support",)),
    CommunitySpec("IT Tips & Tools", "it-tools",
                  "Getting the most out of our laptops, SSO, calendars and collaboration tools.",
                  {"it": 1.0, "operations": 0.3}, ("Okta", "Google Workspace", "automation"),
                  ("productivity tools",)),
    CommunitySpec("Chaos Engineering", "chaos-engineering",
                  "Breaking things on purpose, carefully, to learn how our systems fail.",
                  {"platform": 1.0, "security": 0.2},
                  ("chaos engineering", "fault injection", "Kubernetes"), ("reliability",)),
    CommunitySpec("Event-Driven Architecture", "event-driven",
                  "Queues, streams and events: Kafka, outbox patterns and eventual consistency.",
                  {"web": 0.6, "platform": 0.6, "data": 0.5},
                  ("Kafka", "event sourcing", "message queues"), ("software architecture",)),
    CommunitySpec("Contracts & Commercial Law", "commercial-law",
                  "Commercial contracts without surprises: templates, redlines and playbooks.",
                  {"legal": 1.0, "sales": 0.3}, ("contract drafting", "redlining", "negotiation"),
                  ("contracts",)),
    CommunitySpec("Sustainability at Work", "sustainability",
                  "Lowering our footprint: cloud carbon, travel and greener offices.",
                  {"operations": 0.6, "platform": 0.2}, ("carbon accounting", "green software"),
                  ("sustainability", "climate")),
    CommunitySpec("Rust Users", "rust",
                  "Rust at work: performance-critical services, tooling and safe concurrency.",
                  {"platform": 0.6, "security": 0.3, "data": 0.2},
                  ("Rust", "systems programming", "WebAssembly"), ("rust", "performance")),
    CommunitySpec("Go Gophers", "go",
                  "Writing Go services and tools: idioms, concurrency and profiling.",
                  {"platform": 0.8, "web": 0.3}, ("Go", "gRPC", "profiling"), ("go",)),
)

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December")

PRACTICES = (
    "A monthly brown-bag where a member shows how they solved a real problem.",
    "An Ask the Expert channel, answered within a working day.",
    "Problem-solving circles whose agenda is set by members' open questions and votes.",
    "Show & tell every other Thursday: ten minutes, no slides required.",
    "A curated library of guides, each with an owner and a review date.",
    "Office hours for newcomers, twice a month.",
    "Pairing sessions across teams, booked by anyone.",
    "A yearly un-conference where members propose the sessions.",
    "Talks from outside speakers once a quarter, to keep ideas fresh.",
    "A value story whenever an answer saves someone real time.",
)

# fmt: on


# --------------------------------------------------------------------------------------------
# The plan: the whole organisation in memory.
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class PersonPlan:
    index: int
    name: str
    email: str
    title: str
    dept: int  # index into DEPARTMENTS
    manager: int  # index into people, -1 for the CEO
    depth: int  # 0 for the CEO
    location: str
    start_date: date
    seniority: float  # 0-4 individual contributors, 2.6+ managers, 4.5 heads, 5 the CEO
    skills: list[str] = field(default_factory=list)
    interests: list[str] = field(default_factory=list)
    bio: str = ""
    is_admin: bool = False
    is_exec: bool = False  # CEO, department heads and directors: the sponsor pool


@dataclass(slots=True)
class CommunityPlan:
    name: str
    slug: str
    domain: str
    charter: str
    status: str
    visibility: str
    created_at: datetime
    spec: CommunitySpec


@dataclass(slots=True)
class MembershipPlan:
    community: int
    person: int
    role: str
    joined_at: datetime
    left_at: datetime | None = None


@dataclass(slots=True)
class SponsorshipPlan:
    community: int
    person: int
    since: datetime


ObjectKind = Literal["community", "person", "membership", "sponsorship"]


@dataclass(slots=True)
class ActivityPlan:
    actor: int
    verb: str
    kind: ObjectKind
    ref: int  # index into the plan's list of that kind
    community: int  # -1 for none
    created_at: datetime


@dataclass(slots=True)
class DemoPlan:
    size: int
    seed: int
    now: datetime
    people: list[PersonPlan]
    communities: list[CommunityPlan]
    memberships: list[MembershipPlan]
    sponsorships: list[SponsorshipPlan]
    activities: list[ActivityPlan]


@dataclass(frozen=True, slots=True)
class DemoResult:
    size: int
    seed: int
    people: int
    departments: int
    communities: int
    private_communities: int
    memberships: int
    sponsorships: int
    activities: int
    questions: int
    answers: int
    resources: int
    seconds: float
    admin_email: str
    sample_email: str


def community_count(size: int) -> int:
    """12 communities, and one more per 2,000 people (as many as there are specs for)."""
    return min(12 + size // 2000, len(MAIN_COMMUNITIES) + len(EXTRA_COMMUNITIES))


class _Rand:
    """Thin, fast helpers over one seeded `random.Random` (the stdlib helpers are slow)."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.random = self.rng.random

    def index(self, n: int) -> int:
        return int(self.random() * n)

    def item[T](self, items: Sequence[T]) -> T:
        return items[int(self.random() * len(items))]

    def pick(self, cum: Sequence[float]) -> int:
        """An index drawn with the weights whose running totals are `cum`."""
        return min(bisect_right(cum, self.random() * cum[-1]), len(cum) - 1)

    def between(self, low: int, high: int) -> int:
        return low + int(self.random() * (high - low + 1))


def _cum(weights: Sequence[float]) -> list[float]:
    return list(accumulate(weights))


@cache
def _ascii_slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _allocate(size: int, weights: Sequence[float], minimum: Sequence[int]) -> list[int]:
    """Split `size` into integer parts proportional to weights (largest remainder)."""
    rest = size - sum(minimum)
    total = sum(weights)
    exact = [rest * w / total for w in weights]
    parts = [m + int(x) for m, x in zip(minimum, exact, strict=True)]
    short = size - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - int(exact[i])), i))
    for i in order[:short]:
        parts[i] += 1
    return parts


def _dept_tree(n: int, rand: _Rand, span: tuple[int, int]) -> list[int]:
    """Parents (index within the department, -1 for the head) in breadth-first order."""
    parents = [-1]
    queue = [0]
    head = 0
    while len(parents) < n:
        manager = queue[head]
        head += 1
        for _ in range(rand.between(*span)):
            if len(parents) >= n:
                break
            queue.append(len(parents))
            parents.append(manager)
    return parents


def _dept_depths() -> list[int]:
    depths: list[int] = []
    for spec in DEPARTMENTS:
        if spec.slug == "executive":
            depths.append(0)
        elif spec.parent is None:
            depths.append(1)
        else:
            depths.append(depths[DEPT_INDEX[spec.parent]] + 1)
    return depths


def _dept_affinities(specs: Sequence[CommunitySpec]) -> list[list[float]]:
    """Affinity [department][community], inherited from parent departments with decay."""
    table: list[list[float]] = []
    for spec in DEPARTMENTS:
        row = []
        for community in specs:
            value, slug, decay = 0.0, spec.slug, 1.0
            while slug:
                value = max(value, community.affinity.get(slug, 0.0) * decay)
                parent = DEPARTMENTS[DEPT_INDEX[slug]].parent
                slug, decay = (parent or ""), decay * 0.6
            row.append(value)
        table.append(row)
    return table


class _Names:
    """Names drawn per office, with a share of mixed-origin surnames, and unique emails."""

    def __init__(self, rand: _Rand) -> None:
        self.rand = rand
        self.mix: dict[str, tuple[list[str], list[float]]] = {
            place: (list(mix), _cum(list(mix.values()))) for place, (_, mix) in LOCATIONS.items()
        }
        self.seen: dict[str, int] = {}

    def name(self, location: str) -> str:
        groups, cum = self.mix[location]
        group = groups[self.rand.pick(cum)]
        first = self.rand.item(NAME_GROUPS[group][0])
        if self.rand.random() < 0.08:
            group = groups[self.rand.pick(cum)]
        return f"{first} {self.rand.item(NAME_GROUPS[group][1])}"

    def email(self, name: str) -> str:
        first, _, last = name.partition(" ")
        local = f"{_ascii_slug(first)}.{_ascii_slug(last)}"
        n = self.seen.get(local, 0) + 1
        self.seen[local] = n
        return f"{local}{n if n > 1 else ''}@{EMAIL_DOMAIN}"


def _start_dates(n: int, rand: _Rand, today: date, founded: date, growth: float = 0.3) -> list[int]:
    """Hire dates (ordinals) of a company growing ~35% a year: recent hires are the most."""
    years = (today - founded).days / 365.25
    scale = math.expm1(growth * years)
    base = founded.toordinal()
    return [base + int(math.log1p(rand.random() * scale) / growth * 365.25) for _ in range(n)]


def _plan_people(
    size: int, rand: _Rand, today: date, specs: Sequence[CommunitySpec]
) -> list[PersonPlan]:
    founded = today - timedelta(days=int(COMPANY_AGE_YEARS * 365.25))
    today_ord = today.toordinal()
    minimum = [2 if spec.slug == ADMIN_DEPARTMENT else 1 for spec in DEPARTMENTS]
    counts = _allocate(size, [spec.weight for spec in DEPARTMENTS], minimum)
    dept_depth = _dept_depths()
    names = _Names(rand)
    place_names = list(LOCATIONS)
    place_cum = _cum([share for share, _ in LOCATIONS.values()])
    affinity = _dept_affinities(specs)
    spec_cum = _cum([max(s.share, 0.01) for s in specs])
    manager_bonus = ("coaching", "hiring", "one-to-ones")
    people: list[PersonPlan] = []
    heads: dict[str, int] = {}
    random_ = rand.random

    for d, spec in enumerate(DEPARTMENTS):
        n = counts[d]
        parents = _dept_tree(n, rand, (4, 8) if n > 40 else (3, 7))
        depth = [0] * n
        sizes = [1] * n  # subtree sizes; children always come after their parent
        for i in range(1, n):
            depth[i] = depth[parents[i]] + 1
        for i in range(n - 1, 0, -1):
            sizes[parents[i]] += sizes[i]
        # Earlier positions in the tree mostly went to earlier hires.
        starts = _start_dates(n, rand, today, founded)
        starts.sort(key=lambda day: day + rand.rng.gauss(0, 420))
        if spec.slug == "executive":
            starts[0] = founded.toordinal()
        offset = len(people)
        aff_cum = _cum([a + 0.005 for a in affinity[d]])
        n_skill_draws = 1 if spec.slug == "executive" else 4
        for i in range(n):
            if i == 0:
                manager = -1 if spec.slug == "executive" else heads[spec.parent or "executive"]
            else:
                manager = offset + parents[i]
            # Location: often the manager's office, otherwise the department's usual spread.
            follow = 0.3 if i == 0 else 0.55
            if (
                manager >= 0
                and random_() < follow
                and (not spec.locations or people[manager].location in spec.locations)
            ):
                location = people[manager].location
            elif spec.locations:
                location = rand.item(spec.locations)
            else:
                location = place_names[rand.pick(place_cum)]
            start = min(starts[i], today_ord)
            tenure = (today_ord - start) / 365.25
            is_exec, manages = False, sizes[i] > 1
            if i == 0:
                title, seniority, is_exec = spec.head_title, 5.0 if manager < 0 else 4.5, True
            elif manages and sizes[i] >= 60:
                title, seniority, is_exec = f"Director of {spec.manager_noun}", 4.0, True
            elif manages and sizes[i] >= 20:
                title, seniority = f"Senior {spec.manager_noun} Manager", 3.2
            elif manages:
                title, seniority = f"{spec.manager_noun} Manager", 2.6
            else:
                hired_at = rand.pick((25, 60, 85, 97, 100))
                level = min(4, hired_at + int(tenure / 3 + random_()))
                role, ladder = rand.item(spec.roles)
                title, seniority = f"{LADDERS[ladder][level]}{role}", float(level)
            # Skills: one or two of the department's own, then some from nearby domains.
            skills = dict.fromkeys((rand.item(spec.skills), rand.item(spec.skills)))
            for _ in range(rand.between(1, n_skill_draws)):
                skills[rand.item(specs[rand.pick(aff_cum)].skills)] = None
            if manages and random_() < 0.5:
                skills[rand.item(manager_bonus)] = None
            interests: dict[str, None] = {}
            for _ in range(rand.between(1, 4)):
                cum = aff_cum if random_() < 0.6 else spec_cum
                interests[rand.item(specs[rand.pick(cum)].topics)] = None
            people.append(
                PersonPlan(
                    index=offset + i,
                    name=names.name(location),
                    email="",
                    title=title,
                    dept=d,
                    manager=manager,
                    depth=dept_depth[d] + depth[i],
                    location=location,
                    start_date=date.fromordinal(start),
                    seniority=seniority,
                    skills=list(skills),
                    interests=list(interests),
                    is_exec=is_exec,
                )
            )
            if i == 0:
                heads[spec.slug] = offset
    # Emails in a second pass, in a fixed order, so duplicates get 2, 3, ... deterministically.
    for person in people:
        person.email = names.email(person.name)
        if random_() < 0.7:
            person.bio = _bio(person, rand)
    managers = {p.manager for p in people}
    candidates = [
        p
        for p in people
        if DEPARTMENTS[p.dept].slug == ADMIN_DEPARTMENT
        and p.manager >= 0
        and DEPARTMENTS[people[p.manager].dept].slug == ADMIN_DEPARTMENT
    ]
    admin = next((p for p in candidates if p.index not in managers), candidates[0])
    admin.email, admin.title, admin.is_admin = ADMIN_EMAIL, ADMIN_TITLE, True
    admin.bio = (
        f"I run the community programme at {ORG_NAME}: ask me about starting a community, "
        "finding a sponsor or anything Trellis."
    )
    return people


def _bio(person: PersonPlan, rand: _Rand) -> str:
    dept = DEPARTMENTS[person.dept].name
    month = MONTHS[person.start_date.month - 1]
    text = (
        f"{person.title} in {dept}, based in {person.location}. "
        f"At {ORG_NAME} since {month} {person.start_date.year}."
    )
    if len(person.skills) >= 2:
        a = rand.index(len(person.skills))
        b = (a + 1 + rand.index(len(person.skills) - 1)) % len(person.skills)
        text += f" Happy to help with {person.skills[a]} and {person.skills[b]}."
    if person.interests:
        text += f" Currently curious about {rand.item(person.interests)}."
    return text


def _charter(spec: CommunitySpec, rand: _Rand) -> str:
    practices = rand.rng.sample(PRACTICES, 3)
    return "\n".join(
        [
            "## Purpose",
            spec.domain,
            "",
            "## How we work",
            *(f"- {line}" for line in practices),
            "",
            "## Who it is for",
            f"Anyone who works with {', '.join(spec.topics)}, or wants to. Reading along is "
            "participating: lurk, ask, answer when you can.",
            "",
            "## Norms",
            "- Ask in the open: someone has probably been down that road already.",
            "- An answer that helps twice becomes a guide.",
            "- Facilitation rotates across the core team.",
        ]
    )


def _plan_communities(
    rand: _Rand, now: datetime, specs: Sequence[CommunitySpec]
) -> list[CommunityPlan]:
    statuses = (Status.SEED, Status.GROWING, Status.THRIVING, Status.DORMANT)
    founded_range = {
        Status.SEED: (0.05, 0.6),
        Status.GROWING: (0.8, 4.0),
        Status.THRIVING: (3.0, 8.0),
        Status.DORMANT: (3.0, 9.5),
    }
    plans = []
    for spec in specs:
        status = Status(spec.status) if spec.status else statuses[rand.pick((35, 70, 80, 100))]
        low, high = founded_range[status]
        years = spec.founded_years_ago or low + rand.random() * (high - low)
        created = now - timedelta(days=years * 365.25, minutes=rand.between(0, 1440))
        plans.append(
            CommunityPlan(
                name=spec.name,
                slug=spec.slug,
                domain=spec.domain,
                charter=_charter(spec, rand),
                status=status,
                visibility=spec.visibility,
                created_at=created,
                spec=spec,
            )
        )
    return plans


def _plan_memberships(
    people: list[PersonPlan], communities: list[CommunityPlan], rand: _Rand, now: datetime
) -> tuple[list[MembershipPlan], list[SponsorshipPlan]]:
    """Members by department, skills and interests; roles by seniority; sponsors from the top.

    Sizes follow the communities' shares: a few big communities and a long tail of small ones.
    """
    random_ = rand.random
    specs = [c.spec for c in communities]
    affinity = _dept_affinities(specs)
    by_dept: dict[int, list[int]] = {}
    by_skill: dict[str, list[int]] = {}
    by_topic: dict[str, list[int]] = {}
    execs_by_dept: dict[int, list[int]] = {}
    for p in people:
        by_dept.setdefault(p.dept, []).append(p.index)
        for skill in p.skills:
            by_skill.setdefault(skill, []).append(p.index)
        for topic in p.interests:
            by_topic.setdefault(topic, []).append(p.index)
        if p.is_exec:
            execs_by_dept.setdefault(p.dept, []).append(p.index)
    today = now.date()
    started = [
        datetime(p.start_date.year, p.start_date.month, p.start_date.day, 9, tzinfo=UTC)
        for p in people
    ]
    tenure = [min((today - p.start_date).days / 365.25, 4.0) for p in people]
    newcomer = [(today - p.start_date).days < 90 for p in people]
    memberships: list[MembershipPlan] = []
    sponsorships: list[SponsorshipPlan] = []
    everyone = len(people)

    for c, community in enumerate(communities):
        spec = community.spec
        share = spec.share or 0.004 + random_() * 0.016
        target = min(max(5, round(everyone * share * (0.9 + random_() * 0.2))), everyone - 1)
        weights: dict[int, float] = {}
        for d, row in enumerate(affinity):
            if row[c] > 0:
                for i in by_dept.get(d, ()):
                    weights[i] = weights.get(i, 0.2) + 3.0 * row[c]
        for skill in spec.skills:
            for i in by_skill.get(skill, ()):
                weights[i] = weights.get(i, 0.2) + 2.0
        for topic in spec.topics:
            for i in by_topic.get(topic, ()):
                weights[i] = weights.get(i, 0.2) + 1.5
        private = spec.visibility == Visibility.PRIVATE
        from_affinity = target if private else round(target * 0.8)
        # Weighted sampling without replacement (Efraimidis-Spirakis): key = u ** (1 / w).
        keyed = [
            (random_() ** (1.0 / (w * 0.4 if newcomer[i] else w)), i) for i, w in weights.items()
        ]
        members = dict.fromkeys(i for _, i in heapq.nlargest(min(from_affinity, len(keyed)), keyed))
        while len(members) < target:  # the rest from anywhere: communities cross departments
            members.setdefault(rand.index(everyone))

        # Roles: members of the departments closest to the domain lead, the more senior and
        # tenured first (an engineering manager does not lead the designers' community for
        # seniority alone); the CEO and heads sponsor instead of leading.
        fit = {i: affinity[people[i].dept][c] for i in members}
        scores = {
            i: fit[i] * 4.0
            + min(people[i].seniority, 4.0) * 0.5
            + tenure[i] * 0.3
            + weights.get(i, 0.2) * 0.1
            + random_()
            - (10.0 if people[i].is_exec else 0.0)
            - (3.0 if newcomer[i] else 0.0)  # a week in, nobody facilitates yet
            for i in members
        }
        ranked = sorted(members, key=lambda i: (-scores[i], i))
        # The founder (first leader) comes from the department closest to the domain and
        # worked here when the community started: when none of them did, the best of them is a
        # long-timer (their start moves to before the founding).
        founded = community.created_at
        best_fit = max(fit.values(), default=0.0)
        fitting = [i for i in ranked if fit[i] >= best_fit * 0.9 and not people[i].is_exec]
        founder = next((i for i in fitting if started[i] <= founded), -1)
        if founder < 0:
            founder = fitting[0] if fitting else ranked[0]
            person = people[founder]
            old_start = person.start_date
            person.start_date = founded.date() - timedelta(days=rand.between(30, 400))
            person.bio = person.bio.replace(
                f"{MONTHS[old_start.month - 1]} {old_start.year}",
                f"{MONTHS[person.start_date.month - 1]} {person.start_date.year}",
            )
            started[founder] = datetime(
                person.start_date.year, person.start_date.month, person.start_date.day, 9,
                tzinfo=UTC,
            )  # fmt: skip
        ranked.remove(founder)
        ranked.insert(0, founder)
        n = len(ranked)
        leaders = 1 if n < 60 else 2 if n < 3000 else 3
        facilitators = 0 if community.status == Status.SEED and n < 30 else min(5, max(1, n // 80))
        core = min(40, max(1, n // 30))
        role_at = [Role.LEADER] * leaders + [Role.FACILITATOR] * facilitators + [Role.CORE] * core
        opened = community.created_at
        # A stalled community has had nobody join lately (its life in demo_knowledge).
        stop = lately_since(now) if LIVES.get(spec.slug, DEFAULT_LIFE).stalled else now
        for k, i in enumerate(ranked):
            role = role_at[k] if k < len(role_at) else Role.MEMBER
            since = max(opened, started[i])
            if k == 0:
                memberships.append(MembershipPlan(c, i, role, opened))
                continue
            if since >= stop and role == Role.MEMBER:
                continue  # started here after the stall: never joined it
            joined = since + (max(stop, since) - since) * random_()
            if role == Role.MEMBER and random_() < 0.04 and joined - since > timedelta(days=30):
                # An earlier stint: joined, left, came back.
                left = since + (joined - since) * random_()
                memberships.append(
                    MembershipPlan(c, i, Role.MEMBER, since + (left - since) * random_(), left)
                )
            memberships.append(MembershipPlan(c, i, role, joined))
        # People who were members once and left.
        for _ in range(max(1, n // 40)):
            i = rand.index(everyone)
            since = max(opened, started[i])
            if i in members or now - since < timedelta(days=30):
                continue
            first = since + (min(stop, now - timedelta(days=14)) - since) * random_()
            memberships.append(
                MembershipPlan(c, i, Role.MEMBER, first, first + (now - first) * random_())
            )

        # Sponsors: the heads of the departments closest to the domain.
        ranked_depts = sorted(range(len(DEPARTMENTS)), key=lambda d: (-affinity[d][c], d))
        top = DEPARTMENTS[ranked_depts[0]]
        sponsors = [execs_by_dept[ranked_depts[0]][0]]
        if random_() < 0.35 or private:
            second = DEPT_INDEX[top.parent] if top.parent else ranked_depts[1]
            sponsors.append(execs_by_dept[second][0])
        if random_() < 0.08:
            sponsors.append(0)  # the CEO
        for s in dict.fromkeys(sponsors):
            since = max(opened, started[s])
            sponsorships.append(SponsorshipPlan(c, s, since + (now - since) * random_() * 0.5))
    return memberships, sponsorships


STATUS_VIEWS = {Status.THRIVING: 1.6, Status.GROWING: 1.0, Status.SEED: 0.8, Status.DORMANT: 0.2}
ROLE_VIEWS = {Role.LEADER: 6.0, Role.FACILITATOR: 5.0, Role.CORE: 4.0, Role.MEMBER: 0.8}
DAY = 86400.0


def _plan_activity(
    people: list[PersonPlan],
    communities: list[CommunityPlan],
    memberships: list[MembershipPlan],
    sponsorships: list[SponsorshipPlan],
    rand: _Rand,
    now: datetime,
) -> list[ActivityPlan]:
    """Creation, joins, leaves, role changes, sponsorships, and views with a heavy tail."""
    random_ = rand.random
    out: list[ActivityPlan] = []
    add = out.append
    founder: dict[int, int] = {}
    for m in memberships:
        if m.role == Role.LEADER and m.left_at is None:
            founder.setdefault(m.community, m.person)
    for c, community in enumerate(communities):
        add(ActivityPlan(founder[c], "community.create", "community", c, c, community.created_at))
    started = [
        datetime(p.start_date.year, p.start_date.month, p.start_date.day, 9, tzinfo=UTC)
        for p in people
    ]
    for k, m in enumerate(memberships):
        c = m.community
        leader = founder[c]
        if m.person != leader:
            add(ActivityPlan(m.person, "community.join", "community", c, c, m.joined_at))
        if m.left_at is not None:
            add(ActivityPlan(m.person, "community.leave", "community", c, c, m.left_at))
            continue
        if m.role != Role.MEMBER and m.person != leader:
            when = min(m.joined_at + timedelta(days=1 + 59 * random_()), now)
            add(ActivityPlan(leader, f"membership.role.{m.role}", "membership", k, c, when))
        # Views: exponential counts, so a few members read a lot and most read a little.
        status = communities[c].status
        mean = ROLE_VIEWS[Role(m.role)] * STATUS_VIEWS[Status(status)]
        window = (400 if status == Status.DORMANT else 120) * DAY
        for _ in range(min(30, int(-math.log(1.0 - random_()) * mean))):
            when = now - timedelta(seconds=random_() * window)
            add(ActivityPlan(m.person, "community.view", "community", c, c, max(when, m.joined_at)))
    for k, s in enumerate(sponsorships):
        add(
            ActivityPlan(
                founder[s.community], "sponsor.add", "sponsorship", k, s.community, s.since
            )
        )
    # Peripheral readers: people looking at public communities they have not joined.
    public = [c for c, com in enumerate(communities) if com.visibility == Visibility.PUBLIC]
    public_cum = _cum([max(communities[c].spec.share, 0.01) for c in public])
    everyone = len(people)
    window = 120 * DAY
    for _ in range(everyone // 3):
        c = public[rand.pick(public_cum)]
        viewer = rand.index(everyone)
        when = max(
            now - timedelta(seconds=random_() * window),
            communities[c].created_at,
            started[viewer],
        )
        add(ActivityPlan(viewer, "community.view", "community", c, c, min(when, now)))
    # Profile views, skewed towards managers and the people who lead communities.
    popular = [m.person for m in memberships if m.role != Role.MEMBER and m.left_at is None]
    popular += [p.index for p in people if p.is_exec]
    for _ in range(everyone // 2):
        target = rand.item(popular) if random_() < 0.4 else rand.index(everyone)
        viewer = rand.index(everyone)
        if viewer == target:
            continue
        when = max(now - timedelta(seconds=random_() * window), started[viewer], started[target])
        add(ActivityPlan(viewer, "person.view", "person", target, -1, min(when, now)))
    out.sort(key=lambda a: a.created_at)
    return out


def plan_org(
    size: int = DEFAULT_SIZE, seed: int = DEFAULT_SEED, now: datetime | None = None
) -> DemoPlan:
    """The whole demo organisation, in memory. Pure: same arguments, same plan."""
    if not MIN_SIZE <= size <= MAX_SIZE:
        raise DemoError(f"--size must be between {MIN_SIZE} and {MAX_SIZE:,}.")
    now = now or timezone.now()
    rand = _Rand(seed)
    specs = list(MAIN_COMMUNITIES + EXTRA_COMMUNITIES)[: community_count(size)]
    people = _plan_people(size, rand, now.date(), specs)
    communities = _plan_communities(rand, now, specs)
    memberships, sponsorships = _plan_memberships(people, communities, rand, now)
    activities = _plan_activity(people, communities, memberships, sponsorships, rand, now)
    return DemoPlan(size, seed, now, people, communities, memberships, sponsorships, activities)


def sample_member(plan: DemoPlan) -> str:
    """An ordinary person (no leading role, not an executive) in two or more communities."""
    counts: dict[int, int] = {}
    leading: set[int] = set()
    for m in plan.memberships:
        if m.left_at is None:
            counts[m.person] = counts.get(m.person, 0) + 1
            if m.role != Role.MEMBER:
                leading.add(m.person)
    for p in plan.people:
        ordinary = p.index not in leading and not p.is_exec and not p.is_admin
        if ordinary and counts.get(p.index, 0) >= 2:
            return p.email
    return next(p.email for p in plan.people if not p.is_admin)


# --------------------------------------------------------------------------------------------
# Writing a plan to the database.
# --------------------------------------------------------------------------------------------


@contextmanager
def _explicit_timestamps() -> Iterator[None]:
    """Let bulk_create keep the historical dates we set instead of stamping "now".

    `auto_now_add` / `auto_now` fields overwrite any value on insert, bulk_create included,
    so for the length of the load they are switched off (in this process only).
    """
    fields: list[models.DateField[Any, Any]] = []
    for model, name in (
        (Community, "created_at"),
        (Community, "updated_at"),
        (Sponsorship, "since"),
    ):
        f = model._meta.get_field(name)
        assert isinstance(f, models.DateField)
        fields.append(f)
    saved = [(f.auto_now, f.auto_now_add) for f in fields]
    for f in fields:
        f.auto_now = f.auto_now_add = False
    try:
        yield
    finally:
        for f, (auto_now, auto_now_add) in zip(fields, saved, strict=True):
            f.auto_now, f.auto_now_add = auto_now, auto_now_add


def _reserve_ids(model: type[models.Model], n: int) -> list[int]:
    """n fresh primary keys, never reused from deleted rows (stale sessions must not match)."""
    table, pk = model._meta.db_table, model._meta.pk
    assert pk is not None and pk.column is not None
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                [table, pk.column, n],
            )
            return [row[0] for row in cursor.fetchall()]
        if connection.vendor == "sqlite":
            quote = connection.ops.quote_name
            cursor.execute(f"SELECT max({quote(pk.column)}) FROM {quote(table)}")  # noqa: S608
            highest = cursor.fetchone()[0] or 0
            cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
            row = cursor.fetchone()
            start = max(highest, row[0] if row else 0) + 1
            return list(range(start, start + n))
    raise DemoError(f"The demo loader supports SQLite and PostgreSQL, not {connection.vendor}.")


def _insert(
    model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
    """A big table's rows as plain values, converted by the backend's own adapters; fresh ids
    into empty tables cannot clash, and a clash would be a bug in the plan: let it fail."""
    fast_insert(model, columns, database_rows(model, columns, rows), skip_clashes=False)


def _write(plan: DemoPlan, password_hash: str) -> list[int]:
    """Insert the plan; return the primary keys of the people, in plan order."""
    now = plan.now
    dept_ids: dict[str, int] = {}
    depths = _dept_depths()
    for level in sorted(set(depths)):
        objs = [
            Department(
                name=spec.name,
                slug=spec.slug,
                parent_id=dept_ids[spec.parent] if spec.parent else None,
            )
            for spec, depth in zip(DEPARTMENTS, depths, strict=True)
            if depth == level
        ]
        for obj in Department.objects.bulk_create(objs):
            dept_ids[obj.slug] = obj.pk
    dept_pk = [dept_ids[spec.slug] for spec in DEPARTMENTS]

    # Managers always come before their reports in the plan, and ids are reserved up front.
    person_ids = _reserve_ids(Person, len(plan.people))
    _insert(
        Person,
        (
            "id", "email", "name", "title", "department_id", "manager_id", "location",
            "start_date", "skills", "interests", "bio", "password", "is_staff", "is_superuser",
            "is_org_admin", "is_active", "created_at",
        ),
        (
            (
                person_ids[p.index], p.email, p.name, p.title, dept_pk[p.dept],
                person_ids[p.manager] if p.manager >= 0 else None, p.location, p.start_date,
                p.skills, p.interests, p.bio, password_hash, p.is_admin, p.is_admin,
                p.is_admin, True, now,
            )
            for p in plan.people
        ),
    )  # fmt: skip
    with _explicit_timestamps():
        community_ids = [
            c.pk
            for c in Community.objects.bulk_create(
                Community(
                    name=c.name,
                    slug=c.slug,
                    domain=c.domain,
                    charter=c.charter,
                    visibility=c.visibility,
                    status=c.status,
                    created_at=c.created_at,
                    updated_at=c.created_at,
                )
                for c in plan.communities
            )
        ]
        sponsorship_ids = [
            s.pk
            for s in Sponsorship.objects.bulk_create(
                Sponsorship(
                    community_id=community_ids[s.community],
                    person_id=person_ids[s.person],
                    since=s.since,
                )
                for s in plan.sponsorships
            )
        ]
    membership_ids = _reserve_ids(Membership, len(plan.memberships))
    _insert(
        Membership,
        ("id", "community_id", "person_id", "role", "joined_at", "left_at"),
        (
            (mid, community_ids[m.community], person_ids[m.person], m.role, m.joined_at, m.left_at)
            for mid, m in zip(membership_ids, plan.memberships, strict=True)
        ),
    )
    ids: dict[str, list[int]] = {
        "community": community_ids,
        "person": person_ids,
        "membership": membership_ids,
        "sponsorship": sponsorship_ids,
    }
    _insert(
        Activity,
        ("actor_id", "verb", "object_type", "object_id", "community_id", "created_at"),
        (
            (
                person_ids[a.actor],
                a.verb,
                a.kind,
                ids[a.kind][a.ref],
                community_ids[a.community] if a.community >= 0 else None,
                a.created_at,
            )
            for a in plan.activities
        ),
    )
    return person_ids


def demo_people_exist() -> bool:
    return Person.objects.exists()


def demo_reset() -> None:
    """Delete the organisation (activity, communities, people, departments).

    Refuses when anyone outside the demo email domain is in the database: --reset is for demo
    databases, never a way to wipe a real organisation.
    """
    real = Person.objects.exclude(email__iendswith=f"@{EMAIL_DOMAIN}")
    if real.exists():
        raise DemoError(
            f"The database holds {real.count():,} people who are not demo people "
            f"(not @{EMAIL_DOMAIN}); --reset only replaces a demo organisation. "
            "Use an empty database (or `django-admin flush` if you really mean it)."
        )
    with transaction.atomic():
        Activity.objects.all().delete()
        Community.objects.all().delete()  # memberships, sponsorships, requests, invitations
        Post.objects.filter(community__isnull=True).delete()  # organisation-wide questions
        DomainProposal.objects.all().delete()  # what discovery read of the old organisation
        _delete_everyone()
        Department.objects.filter(~Q(parent=None)).update(parent=None)
        Department.objects.all().delete()


def _delete_everyone() -> None:
    """Delete every person, like `Person.objects.all().delete()` but in seconds, not a minute.

    The ORM's delete loads all 50,000 people and deletes them 100 at a time. Since everyone
    goes, each relation to Person is handled with one statement over the whole table instead
    (rows of other apps included: cascades through the ORM, SET_NULL by one UPDATE). Any other
    on_delete rule falls back to the ORM's own delete.
    """
    relations = [
        f
        for f in Person._meta.get_fields(include_hidden=True)
        if f.auto_created and not f.concrete and (f.one_to_one or f.one_to_many)
    ]
    plan: list[tuple[type[models.Model], str, bool]] = []
    for rel in relations:
        assert isinstance(rel, models.ForeignObjectRel)
        related = rel.related_model
        assert isinstance(related, type) and issubclass(related, models.Model)
        if rel.on_delete is models.CASCADE:
            plan.append((related, rel.field.name, True))
        elif rel.on_delete is models.SET_NULL:
            plan.append((related, rel.field.name, False))
        elif rel.on_delete is not models.DO_NOTHING:
            Person.objects.all().delete()
            return
    for related, name, cascade in plan:
        rows = related._base_manager.filter(**{f"{name}__isnull": False})
        if cascade:
            rows.delete()
        else:
            rows.update(**{name: None})
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {connection.ops.quote_name(Person._meta.db_table)}")  # noqa: S608


def demo_generate(
    *,
    size: int = DEFAULT_SIZE,
    seed: int = DEFAULT_SEED,
    reset: bool = False,
    now: datetime | None = None,
) -> DemoResult:
    """Generate the demo organisation into the (empty) database, in one transaction."""
    started = time.perf_counter()
    with transaction.atomic():
        if demo_people_exist():
            if not reset:
                raise DemoError(
                    "The database already holds people: refusing to mix a demo organisation "
                    "into it. Use --reset to replace a demo organisation, or --if-empty to "
                    "skip quietly."
                )
            demo_reset()
        plan = plan_org(size, seed, now)
        _write(plan, make_password(DEMO_PASSWORD))
        community_recount_members()
        knowledge = demo_knowledge_generate(
            seed=seed,
            now=plan.now,
            share=min(1.0, size / DEFAULT_SIZE),
            skills_by_slug={c.slug: c.skills for c in (*MAIN_COMMUNITIES, *EXTRA_COMMUNITIES)},
        )

        demo_join_requests_create()
        demo_events_create(now=plan.now, seed=seed)
        demo_facilitation_create(now=plan.now, seed=seed)  # sets the series' facilitators
        demo_agendas_create(now=plan.now, seed=seed)  # after them: the notes credit them
        demo_stories_create(now=plan.now, seed=seed)
        levels_rebuild(now=plan.now)  # participation levels, every month of the history
        snapshots_refresh(now=plan.now)  # then health, champions and the silo map
        demo_reports_create(now=plan.now, seed=seed)  # its stored figures count everything above
        radar_refresh(now=plan.now)  # last: the pitfalls read all of it, sponsors' opens too
        documents_reindex_after_commit()  # everything new, and a reset leaves old documents
        routing_waiting_after_commit()  # evidence rebuilt, then the open questions routed
    with connection.cursor() as cursor:
        # Fresh statistics after a bulk load, or the planners guess row counts of 1 and pick
        # plans that are 50x slower until autovacuum (PostgreSQL) or never (SQLite) catches up.
        cursor.execute("ANALYZE")
    return DemoResult(
        size=size,
        seed=seed,
        people=len(plan.people),
        departments=len(DEPARTMENTS),
        communities=len(plan.communities),
        private_communities=sum(c.visibility == Visibility.PRIVATE for c in plan.communities),
        memberships=sum(m.left_at is None for m in plan.memberships),
        sponsorships=len(plan.sponsorships),
        activities=len(plan.activities),
        questions=knowledge.questions,
        answers=knowledge.answers,
        resources=knowledge.resources,
        seconds=time.perf_counter() - started,
        admin_email=ADMIN_EMAIL,
        sample_email=sample_member(plan),
    )
