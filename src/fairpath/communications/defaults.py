"""The default templates every client starts with (seeded by ``actions.seed_default_templates``).

Each passes the publish check: no UK-PRESSURE wording, the US-MINIMIRANDA statement and the US-OPTOUT
line where required, and the required wording of each statutory notice.

Every template the shipped strategy (``collections/default_strategy.yaml``) names exists here for each
channel its steps use and for both jurisdictions (the cycle picks the template by the customer's
jurisdiction): ``early-reminder`` (SMS, e-mail), ``arrears-letter`` (letter), ``support-options`` (letter)
and ``default-notice`` (UK letter). ``tests/communications/test_default_templates.py`` keeps them in step.

What the collection messages say, and why:
- UK-PRESSURE (CONC 7.3.10R): no demand for the whole balance, no short deadline, no suggestion to sell
  or borrow; we ask the customer to get in touch and offer an affordable plan instead.
- UK-FORB / UK-PROPOSAL: the options we can consider are named (lower payments, time, pausing or reducing
  interest and charges) and an income and expenditure review is offered; none is promised in advance.
- Free, independent debt advice is signposted in every UK message (``UK_HELP``, shortened in texts), and
  UK-THIRDPARTY: the customer may ask an adviser or someone they trust to deal with us for them.
- UK-STATBAR / US-TIMEBAR: no collection message mentions court or legal action, so each may reach any
  account (a statute-barred one too); UK-CONTACT: texts carry no amount, and the customer may tell us how
  and when to contact them.
- US-MINIMIRANDA and US-OPTOUT as above; no US message threatens anything that is not intended.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultTemplate:
    code: str
    name: str
    channel: str
    jurisdiction: str
    notice_type: str
    subject: str
    body: str
    is_initial_communication: bool = False


UK_HELP = (
    "If you are finding things difficult, please talk to us: we can agree an affordable plan, and we will "
    "give you time. Free, independent debt advice is available from MoneyHelper (moneyhelper.org.uk, "
    "0800 138 7777), StepChange and National Debtline."
)
US_INITIAL = (
    "This communication is from a debt collector. This is an attempt to collect a debt and any "
    "information obtained will be used for that purpose."
)
US_LATER = "This communication is from a debt collector."
UK_HELP_SHORT = "Free debt advice: moneyhelper.org.uk"
UK_OPTIONS = (
    "We can look at options with you, such as lower payments for a while, more time, or pausing or "
    "reducing interest and charges. We will ask about your income and spending so that any plan is one "
    "you can afford."
)
UK_ADVISER = (
    "If a debt adviser or someone you trust is helping you, they can contact us for you: just tell us, and "
    "we will give you time while you get advice."
)
UK_PREFERENCES = "You can tell us how and when you would like us to contact you."

DEFAULT_TEMPLATES: tuple[DefaultTemplate, ...] = (
    DefaultTemplate(
        "reminder", "Payment reminder", "letter", "UK", "collections", "About your account",
        "Dear {{ customer_name }},\n\n"
        "Our records show that your account {{ agreement_reference }} is {{ arrears }} behind "
        "({{ missed_payments }} payment(s)). If you have already paid, thank you, and please ignore this "
        "letter.\n\n" + UK_HELP + "\n\nYou can call us on {{ contact_phone }}.\n\nYours sincerely,\n"
        "{{ client_name }}",
    ),
    DefaultTemplate(
        "reminder", "Payment reminder", "email", "UK", "collections", "About your account {{ agreement_reference }}",
        "Dear {{ customer_first_name }},\n\nYour account {{ agreement_reference }} is {{ arrears }} behind. "
        "If you have already paid, thank you.\n\n" + UK_HELP + "\n\n{{ client_name }}",
    ),
    DefaultTemplate(
        "reminder", "Payment reminder", "sms", "UK", "collections", "",
        "{{ client_name }}: your account {{ agreement_reference }} is behind by {{ arrears }}. "
        "Please call {{ contact_phone }} so we can help. Free debt advice: moneyhelper.org.uk",
    ),
    DefaultTemplate(
        "early-reminder", "Early reminder", "sms", "UK", "collections", "",
        "{{ client_name }}: a payment on your account {{ agreement_reference }} has been missed. If you have "
        "paid, thank you. If not, please call {{ contact_phone }} so we can help. " + UK_HELP_SHORT,
    ),
    DefaultTemplate(
        "early-reminder", "Early reminder", "email", "UK", "collections",
        "A missed payment on your account {{ agreement_reference }}",
        "Dear {{ customer_first_name }},\n\n"
        "A payment on your account {{ agreement_reference }} has been missed and the account is "
        "{{ arrears }} behind. If you have already paid, thank you, and please ignore this e-mail.\n\n"
        "If something has changed and paying is harder at the moment, please call us on {{ contact_phone }}. "
        + UK_OPTIONS + "\n\n" + UK_HELP + "\n\n" + UK_PREFERENCES + "\n\n{{ client_name }}",
    ),
    DefaultTemplate(
        "arrears-letter", "Arrears letter", "letter", "UK", "collections", "Your account is behind with payments",
        "Dear {{ customer_name }},\n\n"
        "Your account {{ agreement_reference }} ({{ product }}) is {{ arrears }} behind: {{ missed_payments }} "
        "payment(s) have been missed. The balance of the account is {{ balance }}. If you have already paid, "
        "thank you, and please ignore this letter.\n\n"
        "We would like to understand your situation and agree a way forward that you can afford. Please call "
        "us on {{ contact_phone }}. " + UK_OPTIONS + "\n\n" + UK_ADVISER + "\n\n" + UK_HELP + "\n\n"
        + UK_PREFERENCES + "\n\nYours sincerely,\n{{ client_name }}",
    ),
    DefaultTemplate(
        "support-options", "Support options", "letter", "UK", "collections", "Support with your account",
        "Dear {{ customer_name }},\n\n"
        "We are writing about your account {{ agreement_reference }}, which is {{ arrears }} behind. We know "
        "that health, a change in your life or money worries can make things harder, and we want to make "
        "sure the way we deal with your account works for you.\n\n"
        + UK_OPTIONS + " You do not need to decide anything straight away.\n\n"
        "If it would help, tell us if you would like our letters in another format (such as large print), "
        "to talk at a time that suits you, or for us to deal with someone you trust. " + UK_ADVISER
        + "\n\n" + UK_HELP + "\n\n"
        "Please call us on {{ contact_phone }} when you are ready.\n\nYours sincerely,\n{{ client_name }}",
    ),
    DefaultTemplate(
        "nosia-fs", "Notice of sums in arrears (fixed-sum)", "letter", "UK", "nosia_fs",
        "Notice of Sums in Arrears",
        "Dear {{ customer_name }},\n\n"
        "NOTICE OF SUMS IN ARREARS — agreement {{ agreement_reference }}\n\n"
        "This notice is sent to you under the Consumer Credit Act 1974 because you have fallen behind with "
        "your payments. On {{ trigger_date }} the sums in arrears reached the level at which we must tell "
        "you. Your arrears today are {{ arrears }} and your balance is {{ balance }}.\n\n"
        "We enclose a copy of the current arrears information sheet under the Consumer Credit Act 1974. "
        "It gives information about arrears and sources of help.\n\n" + UK_HELP + "\n\n"
        "Yours sincerely,\n{{ client_legal_name }}",
    ),
    DefaultTemplate(
        "nosia-ra", "Notice of sums in arrears (running account)", "letter", "UK", "nosia_ra",
        "Notice of Sums in Arrears",
        "Dear {{ customer_name }},\n\n"
        "NOTICE OF SUMS IN ARREARS — account {{ agreement_reference }}\n\n"
        "This notice is sent to you under the Consumer Credit Act 1974 because the last two payments "
        "required on your account were not made in full (the second was due on {{ trigger_date }}). "
        "Your arrears are {{ arrears }}; your balance is {{ balance }}.\n\n"
        "We enclose a copy of the current arrears information sheet under the Consumer Credit Act 1974.\n\n"
        + UK_HELP + "\n\nYours sincerely,\n{{ client_legal_name }}",
    ),
    DefaultTemplate(
        "default-notice", "Default notice", "letter", "UK", "default_notice",
        "Default Notice served under section 87(1) of the Consumer Credit Act 1974",
        "Dear {{ customer_name }},\n\n"
        "DEFAULT NOTICE — agreement {{ agreement_reference }}\n\n"
        "You have not made the payments required by your agreement. To remedy this breach you must pay "
        "{{ remedy_amount }} on or before {{ remedy_date }}. This date is at least 14 days after the date "
        "this notice is treated as served ({{ service_date }}).\n\n"
        "If you do so, the breach will be treated as not having occurred. If you do not, we may end the "
        "agreement and ask you to repay what you owe, but we will take no such step before the day after "
        "{{ remedy_date }}.\n\n"
        "IMPORTANT — YOU SHOULD READ THIS CAREFULLY. If you have difficulty in paying, you may be able to "
        "apply to the court for a time order. We enclose a copy of the current default information sheet "
        "under the Consumer Credit Act 1974.\n\n" + UK_HELP + "\n\nYours sincerely,\n{{ client_legal_name }}",
    ),
    DefaultTemplate(
        "reminder", "Payment reminder", "letter", "US", "collections", "About your account",
        "Dear {{ customer_name }},\n\n" + US_LATER + "\n\n"
        "Our records show that your account {{ agreement_reference }} is {{ arrears }} past due. "
        "Please call us at {{ contact_phone }} to discuss options.\n\nSincerely,\n{{ client_name }}",
    ),
    DefaultTemplate(
        "reminder", "Payment reminder", "email", "US", "collections", "About your account {{ agreement_reference }}",
        "Dear {{ customer_first_name }},\n\n" + US_LATER + "\n\nYour account {{ agreement_reference }} is "
        "{{ arrears }} past due. Please call us at {{ contact_phone }}.\n\n{{ client_name }}\n\n"
        "{{ opt_out_text }}",
    ),
    DefaultTemplate(
        "reminder", "Payment reminder", "sms", "US", "collections", "",
        "{{ client_name }}, a debt collector: your account {{ agreement_reference }} is past due. "
        "This communication is from a debt collector. Call {{ contact_phone }}. {{ opt_out_text }}",
    ),
    DefaultTemplate(
        "early-reminder", "Early reminder", "sms", "US", "collections", "",
        "{{ client_name }}: " + US_LATER + " A payment on account {{ agreement_reference }} was missed. "
        "Call {{ contact_phone }} to talk about options. {{ opt_out_text }}",
    ),
    DefaultTemplate(
        "early-reminder", "Early reminder", "email", "US", "collections",
        "A missed payment on your account {{ agreement_reference }}",
        "Dear {{ customer_first_name }},\n\n" + US_LATER + "\n\n"
        "A payment on your account {{ agreement_reference }} was missed and the account is {{ arrears }} "
        "past due. If you have already paid, thank you. If paying is harder right now, please call us at "
        "{{ contact_phone }} to talk about a payment plan that fits your budget.\n\n{{ client_name }}\n\n"
        "{{ opt_out_text }}",
    ),
    DefaultTemplate(
        "arrears-letter", "Past-due letter", "letter", "US", "collections", "Your account is past due",
        "Dear {{ customer_name }},\n\n" + US_LATER + "\n\n"
        "Your account {{ agreement_reference }} is {{ arrears }} past due; the balance is {{ balance }}. "
        "If you have already paid, thank you.\n\n"
        "Please call us at {{ contact_phone }}. We can talk about a payment plan that fits your budget.\n\n"
        "Sincerely,\n{{ client_name }}",
    ),
    DefaultTemplate(
        "support-options", "Support options", "letter", "US", "collections", "Support with your account",
        "Dear {{ customer_name }},\n\n" + US_LATER + "\n\n"
        "We are writing about your account {{ agreement_reference }}, which is {{ arrears }} past due. If "
        "your health or a change in your circumstances makes paying harder, please let us know. We can talk "
        "about a payment plan that fits your budget, contact you at times that suit you, or deal with "
        "someone you authorize.\n\n"
        "Please call us at {{ contact_phone }} when you are ready.\n\nSincerely,\n{{ client_name }}",
    ),
    DefaultTemplate(
        "validation-notice", "Validation notice", "letter", "US", "us_validation",
        "Validation notice",
        "Dear {{ customer_name }},\n\n" + US_INITIAL + "\n\n"
        "{{ client_name }} is trying to collect a debt that you owe on account {{ agreement_reference }}. "
        "As of {{ itemization_date }}, you owed {{ balance }}.\n\n"
        "How can you dispute the debt? Call or write to us by {{ validation_end_date }} to dispute all or "
        "part of the debt. If you do not, we will assume that our information is correct. If you write to "
        "us by {{ validation_end_date }}, we must stop collection on any amount you dispute until we send "
        "you information that shows you owe the debt.\n\n"
        "You may also request the name and address of the original creditor by {{ validation_end_date }}."
        "\n\nSincerely,\n{{ client_legal_name }}",
        is_initial_communication=True,
    ),
)  # fmt: skip
