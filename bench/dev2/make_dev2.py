"""Generate bench/dev2/dev2.jsonl: a second labelled dev set for DLP detector tuning.

Deterministic (fixed seed), stdlib + python-stdnum only.
Run: .venv/bin/python bench/dev2/make_dev2.py
"""

from __future__ import annotations

import base64
import json
import random
import re
import string
from pathlib import Path

from stdnum import ean, iban, luhn
from stdnum.ru import inn as ru_inn

SEED = 20240917
OUT = Path(__file__).with_name("dev2.jsonl")
R = random.Random(SEED)

N_PLAIN, N_DISGUISED, N_HARD, N_NUMERIC = 900, 400, 500, 200

# ---------------------------------------------------------------- value generators


def digits(n: int) -> str:
    return "".join(R.choice(string.digits) for _ in range(n))


def alnum(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(R.choice(alphabet) for _ in range(n))


def card_with_prefix(prefix: str) -> str:
    body = prefix + digits(15 - len(prefix))
    return body + luhn.calc_check_digit(body)


def card() -> str:
    kind = R.choice(["visa", "visa", "mc", "mc2", "mir", "mir"])
    if kind == "visa":
        return card_with_prefix("4" + R.choice(["276", "279", "817", "255", "111", "929"]))
    if kind == "mc":
        return card_with_prefix("5" + str(R.randint(1, 5)))
    if kind == "mc2":
        return card_with_prefix(str(R.randint(2221, 2720)))
    return mir()


def mir() -> str:
    return card_with_prefix("220" + str(R.randint(0, 4)))


def inn10() -> str:
    d = [int(c) for c in f"{R.randint(1, 99):02d}" + digits(7)]
    w = [2, 4, 10, 3, 5, 9, 4, 6, 8]
    c = sum(a * b for a, b in zip(w, d, strict=True)) % 11 % 10
    return "".join(map(str, d)) + str(c)


def inn12() -> str:
    d = [int(c) for c in f"{R.randint(1, 99):02d}" + digits(8)]
    w11 = [7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(w11, d, strict=True)) % 11 % 10)
    w12 = [3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8]
    d.append(sum(a * b for a, b in zip(w12, d, strict=True)) % 11 % 10)
    return "".join(map(str, d))


def ogrn13() -> str:
    s = R.choice("15") + f"{R.randint(2, 24):02d}" + f"{R.randint(1, 99):02d}" + digits(7)
    return s + str(int(s) % 11 % 10)


def ogrnip15() -> str:
    s = "3" + f"{R.randint(4, 24):02d}" + f"{R.randint(1, 99):02d}" + digits(9)
    return s + str(int(s) % 13 % 10)


def snils_check(nine: str) -> str:
    s = sum(int(c) * (9 - i) for i, c in enumerate(nine))
    if s < 100:
        c = s
    elif s in (100, 101):
        c = 0
    else:
        c = s % 101
        c = 0 if c == 100 else c
    return f"{c:02d}"


def snils() -> str:
    nine = f"{R.randint(1_002_000, 999_999_999):09d}"
    return nine + snils_check(nine)


def fmt_snils(s: str) -> str:
    return f"{s[:3]}-{s[3:6]}-{s[6:9]} {s[9:]}"


def bik() -> str:
    return (
        "04" + f"{R.randint(1, 99):02d}" + f"{R.randint(0, 99):02d}" + f"{R.randint(50, 999):03d}"
    )


def account_for(b: str) -> str:
    base = R.choice(["40702810", "40817810", "40802810", "40701810", "40702978"])
    a = base + "0" + digits(11)
    s = b[-3:] + a
    w = [7, 1, 3] * 8
    total = sum(int(c) * w[i] for i, c in enumerate(s))
    key = (total % 10) * 3 % 10
    acc = base + str(key) + a[9:]
    assert account_ok(b, acc)
    return acc


def account_ok(b: str, acc: str) -> bool:
    s = b[-3:] + acc
    w = [7, 1, 3] * 8
    return sum(int(c) * w[i] for i, c in enumerate(s)) % 10 == 0


IBAN_SHAPES = {
    "DE": lambda: digits(18),
    "NL": lambda: alnum(4, string.ascii_uppercase) + digits(10),
    "GB": lambda: alnum(4, string.ascii_uppercase) + digits(14),
    "AT": lambda: digits(16),
    "CH": lambda: digits(17),
    "BE": lambda: digits(12),
}


def make_iban() -> str:
    while True:
        cc = R.choice(sorted(IBAN_SHAPES))
        bban = IBAN_SHAPES[cc]()
        num = "".join(str(int(ch, 36)) for ch in bban + cc + "00")
        value = f"{cc}{98 - int(num) % 97:02d}{bban}"
        if iban.is_valid(value):
            return value


def group4(s: str, sep: str = " ") -> str:
    return sep.join(s[i : i + 4] for i in range(0, len(s), 4))


def phone_ru() -> tuple[str, str]:
    op = R.choice(["916", "903", "925", "985", "999", "921", "912", "495", "812", "977"])
    a, b, c = digits(3), digits(2), digits(2)
    raw = f"+7{op}{a}{b}{c}"
    shown = R.choice(
        [
            f"+7 ({op}) {a}-{b}-{c}",
            f"8 ({op}) {a}-{b}-{c}",
            f"+7 {op} {a} {b} {c}",
            f"8{op}{a}{b}{c}",
            f"+7{op}{a}{b}{c}",
            f"8-{op}-{a}-{b}-{c}",
        ]
    )
    return raw, shown


def phone_intl() -> str:
    return R.choice(
        [
            f"+44 20 {digits(4)} {digits(4)}",
            f"+49 30 {digits(8)}",
            f"+1 ({R.randint(201, 989)}) {R.randint(201, 989)}-{digits(4)}",
            f"+375 29 {digits(3)}-{digits(2)}-{digits(2)}",
            f"+998 90 {digits(3)} {digits(2)} {digits(2)}",
            f"+380 67 {digits(3)} {digits(4)}",
            f"+33 6 {digits(2)} {digits(2)} {digits(2)} {digits(2)}",
        ]
    )


FIRST = ["ivan", "anna", "sergey", "olga", "dmitry", "maria", "alex", "elena", "pavel", "nina"]
LAST = ["petrov", "smirnova", "kuznetsov", "volkova", "sokolov", "orlova", "lebedev", "ivanova"]
DOMAINS = [
    "mail.ru",
    "yandex.ru",
    "gmail.com",
    "bk.ru",
    "outlook.com",
    "romashka-group.ru",
    "acme-corp.com",
    "severstal-trade.ru",
]


def email_parts() -> tuple[str, str]:
    user = R.choice(
        [
            f"{R.choice(FIRST)}.{R.choice(LAST)}",
            f"{R.choice(FIRST)}_{R.choice(LAST)}{R.randint(1, 99)}",
            f"{R.choice(FIRST)[0]}.{R.choice(LAST)}",
            f"{R.choice(LAST)}{R.randint(70, 99)}",
        ]
    )
    return user, R.choice(DOMAINS)


def password() -> str:
    return R.choice(
        [
            alnum(4, string.ascii_uppercase) + R.choice("#!$%&") + digits(3) + alnum(3),
            R.choice(["Summer", "Winter", "Spring", "Moscow", "Qwerty", "Admin"])
            + str(R.randint(2019, 2025))
            + R.choice("!#$"),
            "P@ssw0rd_" + digits(2),
            alnum(3) + R.choice("#!$") + alnum(5) + digits(2),
            R.choice(["kotik", "dragon", "zaq1", "romashka"]) + digits(4) + R.choice("!?"),
        ]
    )


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def jwt() -> str:
    head = b64url(b'{"alg":"HS256","typ":"JWT"}')
    sub = R.randint(1000, 99999)
    body = b64url(f'{{"sub":"{sub}","iat":{R.randint(1_600_000_000, 1_760_000_000)}}}'.encode())
    return f"{head}.{body}.{alnum(43, string.ascii_letters + string.digits + '-_')}"


def private_key() -> str:
    b64 = string.ascii_letters + string.digits + "+/"
    lines = ["MIIEv" + alnum(59, b64)] + [alnum(64, b64) for _ in range(R.randint(2, 4))]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----"


NAMES_RU = ["Иван", "Анна", "Сергей", "Ольга", "Дмитрий", "Мария", "Павел", "Елена", "Кирилл"]
SURN_RU = ["Петров", "Смирнова", "Кузнецов", "Волкова", "Соколов", "Орлова", "Лебедев"]
COMPANIES = [
    "ООО «Ромашка»",
    "АО «Северный ветер»",
    "ООО «ТехноСнаб»",
    "ИП Лебедев",
    "ООО «Вектор»",
]
HOSTS = ["db01.prod.local", "10.12.0.5", "gitlab.internal", "vpn.romashka.ru", "srv-1c-02"]
MONTHS = ["январь", "февраль", "март", "апрель", "май", "июнь", "сентябрь", "октябрь"]
MARKS_RU = [
    "Коммерческая тайна",
    "КОНФИДЕНЦИАЛЬНО",
    "ДСП",
    "Для служебного пользования",
    "Не для распространения",
    "Секретно",
    "СТРОГО КОНФИДЕНЦИАЛЬНО",
]
MARKS_EN = [
    "Strictly confidential",
    "Internal use only",
    "Under NDA",
    "Only for internal use",
    "CONFIDENTIAL",
    "Company confidential",
]


def fields() -> dict[str, str]:
    f: dict[str, str] = {}
    c = card()
    f["card"] = c
    f["card_sp"] = group4(c)
    f["card_dash"] = group4(c, "-")
    f["mir"] = group4(mir())
    f["exp"] = f"{R.randint(1, 12):02d}/{R.randint(26, 30)}"
    f["inn10"] = inn10()
    f["inn12"] = inn12()
    f["inn"] = R.choice([f["inn10"], f["inn12"]])
    f["ogrn"] = ogrn13()
    f["ogrnip"] = ogrnip15()
    s = snils()
    f["snils_raw"] = s
    f["snils"] = R.choice([fmt_snils(s), fmt_snils(s), s, f"{s[:3]} {s[3:6]} {s[6:9]} {s[9:]}"])
    ser = f"{R.randint(1, 99):02d}{R.randint(0, 24) if R.random() < 0.7 else R.randint(97, 99):02d}"
    f["pser"] = ser
    f["pser_sp"] = f"{ser[:2]} {ser[2:]}"
    f["pnum"] = f"{R.randint(100000, 999999)}"
    f["pdate"] = f"{R.randint(1, 28):02d}.{R.randint(1, 12):02d}.{R.randint(2005, 2023)}"
    f["bik"] = bik()
    f["acct"] = account_for(f["bik"])
    ib = make_iban()
    f["iban_raw"] = ib
    f["iban"] = R.choice([ib, group4(ib)])
    f["phone_raw"], f["phone"] = phone_ru()
    f["phone_intl"] = phone_intl()
    u, d = email_parts()
    f["email_user"], f["email_dom"] = u, d
    f["email"] = f"{u}@{d}"
    f["pw"] = password()
    f["login"] = R.choice(["admin", "root", "i.petrov", "buh2", "svc_backup", "operator", "deploy"])
    f["host"] = R.choice(HOSTS)
    f["sk"] = "sk_live_" + alnum(24)
    f["ghp"] = "ghp_" + alnum(36)
    f["akia"] = "AKIA" + alnum(16, string.ascii_uppercase + "234567")
    f["aws_secret"] = alnum(40, string.ascii_letters + string.digits + "/+")
    f["xoxb"] = f"xoxb-{digits(12)}-{digits(13)}-{alnum(24)}"
    f["glpat"] = "glpat-" + alnum(20, string.ascii_letters + string.digits + "-_")
    f["jwt"] = jwt()
    f["pkey"] = private_key()
    db = R.choice(["crm", "billing", "erp", "app"])
    dpw = f["pw"].replace("@", "a")
    f["dsn"] = R.choice(
        [
            f"postgres://{f['login']}:{dpw}@{f['host']}:5432/{db}",
            f"postgresql://app_user:{dpw}@pg-main:5432/{db}",
            f"mysql://{f['login']}:{dpw}@{f['host']}/{db}",
            f"mongodb://svc:{dpw}@mongo-1:27017/{db}",
            f"redis://:{dpw}@cache-01:6379/0",
        ]
    )
    f["mark_ru"] = R.choice(MARKS_RU)
    f["mark_en"] = R.choice(MARKS_EN)
    f["name"] = R.choice(NAMES_RU)
    f["fio"] = f"{R.choice(SURN_RU)} {R.choice(NAMES_RU)}"
    f["company"] = R.choice(COMPANIES)
    f["amount"] = f"{R.randint(1, 300) * 500:,}".replace(",", " ")
    f["month"] = R.choice(MONTHS)
    f["date"] = f"{R.randint(1, 28):02d}.{R.randint(1, 12):02d}.2024"
    f["order"] = f"{R.randint(100000, 999999)}"
    f["ticket"] = f"{R.choice(['OPS', 'SUP', 'HR', 'FIN'])}-{R.randint(100, 9999)}"
    f["ver"] = f"{R.randint(1, 9)}.{R.randint(0, 30)}.{R.randint(0, 20)}"
    f["ip"] = f"10.{R.randint(0, 255)}.{R.randint(0, 255)}.{R.randint(1, 254)}"
    f["last4"] = digits(4)
    f["last3"] = digits(3)
    f["unit"] = digits(2)
    f["sha"] = alnum(40, "0123456789abcdef")
    f["sha256"] = alnum(64, "0123456789abcdef")
    f["uuid"] = "-".join(alnum(n, "0123456789abcdef") for n in (8, 4, 4, 4, 12))
    f["price"] = f"{R.randint(1, 999)} {R.randint(0, 999):03d}"
    return f


# ---------------------------------------------------------------- plain templates
# (template name, labels, text); text is str.format-ed with fields()

PLAIN: list[tuple[str, list[str], str]] = [
    # card
    ("card_transfer_ru", ["card"], "Переведи, пожалуйста, на карту {card_sp}, сумма {amount} ₽"),
    ("card_no_kw", ["card"], "скинь на {card_sp} до вечера плиз, я верну в пятницу"),
    ("card_en_deposit", ["card"], "You can pay the deposit to my card {card}, exp {exp}"),
    ("card_corp_trip", ["card"], "Корп. карта на командировку: {card_dash}, держатель {fio}"),
    (
        "card_long_expense",
        ["card"],
        "Коллеги, напоминаю: возмещение расходов за {month} отправляем на карту сотрудника. "
        "У {name} карта {card_sp}, у остальных — как в прошлый раз. Вопросы — в личку.",
    ),
    ("card_bare", ["card"], "{card}"),
    ("card_mir", ["card"], "Номер карты Мир для зарплаты: {mir}"),
    ("card_mixed_lang", ["card"], "ок, пиши card number: {card_sp}, срок {exp}"),
    # inn
    ("inn_requisites", ["inn"], "Реквизиты: {company}, ИНН {inn10}, юр. адрес как в договоре"),
    ("inn_person", ["inn"], "ИНН физлица для справки 2-НДФЛ: {inn12}"),
    ("inn_no_kw", ["inn"], "{company} / {inn10} — проверь их в контуре, плз"),
    ("inn_en", ["inn"], "Tax ID (INN) of the supplier is {inn10}, please add to vendor master"),
    ("inn_question", ["inn"], "{name}, у тебя ИНН {inn12}? в анкете одна цифра не читается"),
    ("inn_lower", ["inn"], "инн: {inn}"),
    ("inn_selfemployed", ["inn"], "Я самозанятый, чек пробью на ИНН {inn12}, оплата {amount} ₽"),
    # ogrn
    ("ogrn_requisites", ["ogrn"], "ОГРН {ogrn}, зарегистрированы в 2015, директор {fio}"),
    ("ogrnip_ip", ["ogrn"], "ИП {fio}, ОГРНИП {ogrnip}"),
    ("ogrn_en", ["ogrn"], "Company registration number (OGRN): {ogrn}"),
    ("ogrn_no_kw", ["ogrn"], "{company}, рег. номер {ogrn}, данные из выписки ЕГРЮЛ"),
    ("ogrn_short", ["ogrn"], "огрн {ogrn} проверь в налоговой"),
    ("ogrnip_short", ["ogrn"], "огрнип {ogrnip}"),
    ("ogrn_inn_pair", ["inn", "ogrn"], "Контрагент: {company}\nИНН {inn10}\nОГРН {ogrn}"),
    # snils
    ("snils_hr", ["snils"], "Для оформления нужен СНИЛС. Мой: {snils}"),
    ("snils_no_kw", ["snils"], "{name}, вот номер страхового свидетельства — {snils}"),
    ("snils_en", ["snils"], "SNILS (pension insurance no.) {snils}, please update HR record"),
    ("snils_short", ["snils"], "снилс {snils}"),
    (
        "snils_long",
        ["snils"],
        "Добрый день! Отправляю данные нового сотрудника {fio}: СНИЛС {snils}, "
        "выходит с понедельника, доступы нужны к {date}.",
    ),
    ("snils_bare", ["snils"], "{snils}"),
    # passport
    ("pass_spaced", ["passport_ru"], "паспорт {pser_sp} {pnum}"),
    ("pass_series_number", ["passport_ru"], "серия {pser} номер {pnum}, выдан {pdate}"),
    ("pass_en", ["passport_ru"], "passport no. {pser}{pnum}"),
    (
        "pass_data_issued",
        ["passport_ru"],
        "паспортные данные: {pser} {pnum}, выдан ГУ МВД России по г. Москве {pdate}, "
        "код подразделения 770-0{unit}",
    ),
    ("pass_no_symbol", ["passport_ru"], "Паспорт РФ {pser_sp} № {pnum}"),
    ("pass_ticket", ["passport_ru"], "Для билетов: {fio}, паспорт {pser} {pnum}, дата рождения ок"),
    ("pass_en_series", ["passport_ru"], "Russian passport series {pser} number {pnum}"),
    ("pass_short_ser", ["passport_ru"], "сер. {pser_sp} № {pnum}"),
    ("pass_compact_kw", ["passport_ru"], "Паспорт: {pser}{pnum}"),
    # bank account
    ("acct_with_bik", ["bank_account_ru"], "р/с {acct}\nБИК {bik}\nбанк: ПАО Сбербанк"),
    ("acct_requisites_line", ["bank_account_ru"], "Р/с {acct} в АО «Альфа-Банк», БИК {bik}"),
    ("acct_no_kw", ["bank_account_ru"], "перечисли на {acct}, бик {bik}, получатель {fio}"),
    ("acct_en", ["bank_account_ru"], "Settlement account {acct}, BIC {bik}"),
    ("acct_alone", ["bank_account_ru"], "расчетный счет {acct}"),
    ("acct_person", ["bank_account_ru"], "Счёт для зарплаты {acct} (БИК {bik})"),
    (
        "acct_full_req",
        ["bank_account_ru", "inn"],
        "{company}\nИНН {inn10}\nр/сч {acct}\nБИК {bik}",
    ),
    # phone
    ("phone_call_me", ["phone"], "Позвони мне на {phone}, я на объекте"),
    ("phone_contact", ["phone"], "Контакт подрядчика: {fio}, тел. {phone}"),
    ("phone_no_kw", ["phone"], "{name} — {phone}, скажи что от меня"),
    ("phone_intl_en", ["phone"], "Call our London office at {phone_intl} after 10am"),
    ("phone_intl_ru", ["phone"], "Номер партнёра в Минске: {phone_intl}"),
    ("phone_whatsapp", ["phone"], "пиши в вотсап {phone}"),
    ("phone_bare", ["phone"], "{phone}"),
    ("phone_en_mobile", ["phone"], "my mobile is {phone}, text me when you land"),
    # email
    ("email_send_to", ["email"], "Отправь договор на {email}, я распечатаю"),
    ("email_en", ["email"], "Please reach out to {email} for the onboarding docs"),
    ("email_no_kw", ["email"], "{email} — это новый бухгалтер, добавь в рассылку"),
    ("email_personal", ["email"], "Мой личный ящик {email}, на рабочий не доходит"),
    ("email_bare", ["email"], "{email}"),
    ("email_cc", ["email"], "поставь в копию {email} пожалуйста"),
    ("email_phone_sig", ["email", "phone"], "--\n{fio}\nменеджер по закупкам\n{phone}\n{email}"),
    # iban
    ("iban_en_wire", ["iban"], "Please wire the amount to IBAN {iban}, reference {ticket}"),
    ("iban_ru", ["iban"], "Реквизиты европейского партнёра: IBAN {iban}, SWIFT DEUTDEFF"),
    ("iban_no_kw", ["iban"], "account: {iban}"),
    ("iban_bare", ["iban"], "{iban}"),
    ("iban_invoice", ["iban"], "Invoice due {date}. Bank details — {iban} (EUR)"),
    ("iban_mixed", ["iban"], "переведи евро сюда {iban}, это счет их филиала"),
    # secret
    ("sec_parol_colon", ["secret"], "пароль: {pw}"),
    ("sec_pwd_short", ["secret"], "pwd {pw}"),
    ("sec_creds_pair", ["secret"], "креды: {login}/{pw}"),
    ("sec_server_access", ["secret"], "доступ к серверу {host}: {login} / {pw}"),
    ("sec_wifi", ["secret"], "пароль от вайфая в переговорке {pw}"),
    ("sec_en_login", ["secret"], "login: {login}\npassword: {pw}"),
    ("sec_stripe", ["secret"], "вот ключ страйпа {sk}, не свети его"),
    ("sec_github", ["secret"], "GitHub token for CI: {ghp}"),
    ("sec_aws", ["secret"], "AWS_ACCESS_KEY_ID={akia}\nAWS_SECRET_ACCESS_KEY={aws_secret}"),
    ("sec_slack", ["secret"], "slack bot token {xoxb}"),
    ("sec_gitlab", ["secret"], "токен гитлаба {glpat} действует до конца месяца"),
    ("sec_jwt", ["secret"], "Authorization: Bearer {jwt}"),
    ("sec_pkey", ["secret"], "ключ для деплоя:\n{pkey}"),
    ("sec_dsn", ["secret"], "строка подключения {dsn}"),
    ("sec_dsn_bare", ["secret"], "{dsn}"),
    ("sec_1c", ["secret"], "в 1С заходи под {login}, пасс {pw}"),
    ("sec_new_pw", ["secret"], "сменил пароль на {pw}, старый больше не работает"),
    ("sec_en_pass_is", ["secret"], "the admin password is {pw} — change it after first login"),
    # marking
    ("mark_header_ru", ["marking"], "{mark_ru}\nПрогноз выручки на Q3 во вложении, не пересылать"),
    ("mark_header_en", ["marking"], "{mark_en}. Draft term sheet attached, comments by Friday."),
    ("mark_bracket", ["marking"], "[{mark_ru}] План сокращений по филиалам — обсуждаем в 15:00"),
    ("mark_footer", ["marking"], "Презентация для совета директоров готова.\n\n{mark_ru}"),
    ("mark_dsp_stamp", ["marking"], "Гриф «ДСП». Приказ о реорганизации отдела продаж, проект"),
    ("mark_ct_stamp", ["marking"], "Документ содержит сведения, составляющие коммерческую тайну"),
    ("mark_en_footer", ["marking"], "Q4 pricing model v3 attached\n-- {mark_en} --"),
    ("mark_secret_stamp", ["marking"], "СЕКРЕТНО\nЭкз. №2\nСхема размещения оборудования"),
    ("mark_mixed", ["marking"], "{mark_en}: budget 2025 draft, не пересылайте наружу"),
    # mixed multi-kind
    (
        "mix_new_employee",
        ["passport_ru", "snils", "inn"],
        "Данные для кадров по {fio}: паспорт {pser_sp} {pnum}, СНИЛС {snils}, ИНН {inn12}",
    ),
    (
        "mix_contractor_card",
        ["phone", "card"],
        "Подрядчику {name} платим на карту {card_sp}, тел. для связи {phone}",
    ),
    (
        "mix_mark_secret",
        ["marking", "secret"],
        "{mark_ru}\nДоступ в админку: {login} / {pw}",
    ),
    (
        "mix_vendor_en",
        ["email", "iban"],
        "Vendor onboarding: contact {email}, IBAN {iban}, terms net 30",
    ),
    (
        "mix_ip_full",
        ["inn", "ogrn", "bank_account_ru", "phone"],
        "ИП {fio}\nИНН {inn12}\nОГРНИП {ogrnip}\nр/с {acct} БИК {bik}\nтел {phone}",
    ),
    (
        "mix_booking",
        ["passport_ru", "phone", "email"],
        "Бронь на {fio}: паспорт {pser} {pnum}, {phone}, {email}",
    ),
    (
        "mix_deploy_secrets",
        ["secret"],
        "env для стейджа:\nDATABASE_URL={dsn}\nGITHUB_TOKEN={ghp}",
    ),
    (
        "mix_mark_card",
        ["marking", "card"],
        "{mark_en}\nCorporate card for the offsite: {card_sp}",
    ),
]

# ---------------------------------------------------------------- disguise transforms

ZW = ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"]
RU_DIG = "ноль один два три четыре пять шесть семь восемь девять".split()
EN_DIG = "zero one two three four five six seven eight nine".split()
LOOK = {"0": ["O", "О", "o"], "1": ["l", "I", "|"], "3": ["З"], "5": ["S"], "8": ["B"]}
HOMO = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "А": "A", "Е": "E", "О": "O"}
HOMO.update({"Р": "P", "С": "C", "Н": "H", "К": "K", "Т": "T", "М": "M", "В": "B"})


def t_spaced(v: str) -> str:
    return " ".join(v.replace(" ", ""))


def t_dots(v: str) -> str:
    s = v.replace(" ", "")
    return ".".join(s[i : i + R.choice([2, 3])] for i in range(0, len(s), 3))


def t_zw(v: str) -> str:
    out = []
    for ch in v:
        out.append(ch)
        if R.random() < 0.5:
            out.append(R.choice(ZW))
    return "".join(out)


def t_look(v: str) -> str:
    out, changed = [], False
    for ch in v:
        if ch in LOOK and (R.random() < 0.5 or not changed):
            out.append(R.choice(LOOK[ch]))
            changed = True
        else:
            out.append(ch)
    return "".join(out)


def t_words_ru(v: str) -> str:
    return " ".join(RU_DIG[int(c)] if c.isdigit() else c for c in v.replace(" ", ""))


def t_words_en(v: str) -> str:
    return " ".join(EN_DIG[int(c)] if c.isdigit() else c for c in v.replace(" ", ""))


def t_newline(v: str) -> str:
    s = v.replace(" ", "")
    k = len(s) // 2 + R.randint(-2, 2)
    return s[:k] + "\n" + s[k:]


def t_b64(v: str) -> str:
    return base64.b64encode(v.encode()).decode()


def t_hex(v: str) -> str:
    return v.encode().hex()


def t_fullwidth(v: str) -> str:
    return "".join(chr(0xFF10 + int(c)) if c.isdigit() else c for c in v)


def t_oddsep(v: str) -> str:
    s = v.replace(" ", "")
    sep = R.choice(["_", "/", " - ", "~", "·", "|"])
    return sep.join(s[i : i + R.choice([2, 3, 4])] for i in range(0, len(s), 3))


def t_homoglyph(v: str) -> str:
    return "".join(HOMO.get(ch, ch) if R.random() < 0.5 else ch for ch in v)


def t_spaced_letters(v: str) -> str:
    return " ".join(v)


def t_dotted_letters(v: str) -> str:
    return ".".join(v.replace(" ", "")) + "."


def t_leet(v: str) -> str:
    tbl = {"o": "0", "O": "0", "i": "1", "I": "1", "e": "3", "E": "3", "a": "4", "A": "4"}
    tbl.update({"о": "0", "О": "0", "е": "3", "Е": "3", "а": "4", "А": "4"})
    return "".join(tbl.get(ch, ch) for ch in v)


NUM_T = {
    "spaced": t_spaced,
    "dots": t_dots,
    "zw": t_zw,
    "lookalike": t_look,
    "words_ru": t_words_ru,
    "words_en": t_words_en,
    "newline": t_newline,
    "base64": t_b64,
    "hex": t_hex,
    "fullwidth": t_fullwidth,
    "oddsep": t_oddsep,
}

# kind -> (value field, contexts with {d})
DIS_NUMERIC: dict[str, tuple[str, list[str]]] = {
    "card": (
        "card",
        ["карта {d}", "кинь на {d} плиз", "card: {d}", "номер к4рты {d}", "k@rta {d}", "{d}"],
    ),
    "inn": ("inn", ["ИНН {d}", "inn {d}", "И.Н.Н. {d}", "ihh: {d}", "налоговый номер {d}"]),
    "ogrn": ("ogrn", ["ОГРН {d}", "ogrn {d}", "0ГРН {d}", "рег.номер юрлица {d}"]),
    "snils": ("snils_raw", ["СНИЛС {d}", "snils {d}", "С.Н.И.Л.С {d}", "страх. номер {d}"]),
    "passport_ru": (
        "passport",
        ["паспорт {d}", "pasport {d}", "пacпopт {d}", "pa$$port {d}", "док-т {d}"],
    ),
    "bank_account_ru": ("acct", ["р/с {d}", "rs {d}", "raschetnyj schet {d}", "сч. {d}"]),
    "phone": ("phone_raw", ["тел {d}", "tel {d}", "звони {d}", "n0mer {d}", "{d}"]),
    "iban": ("iban_raw", ["IBAN {d}", "iban: {d}", "1BAN {d}", "bank acc {d}"]),
}

DIS_EMAIL = {
    "at_dot_en": lambda u, d: f"{u} at {d.replace('.', ' dot ')}",
    "brackets": lambda u, d: f"{u} [at] {d.replace('.', ' [dot] ')}",
    "sobaka_ru": lambda u, d: f"{u} собака {d.replace('.', ' точка ')}",
    "parens": lambda u, d: f"{u}(at){d.replace('.', '(dot)')}",
    "zw": lambda u, d: t_zw(f"{u}@{d}"),
    "spaced": lambda u, d: " ".join(f"{u}@{d}"),
    "fullwidth_at": lambda u, d: f"{u}＠{d}",
    "base64": lambda u, d: t_b64(f"{u}@{d}"),
    "newline": lambda u, d: f"{u}@\n{d}",
}
DIS_EMAIL_CTX = ["пиши на {d}", "mail: {d}", "email {d}", "мыло {d}", "{d}", "адрес — {d}"]

DIS_SECRET = {
    "translit_kw": lambda f: f"parol: {f['pw']}",
    "leet_kw": lambda f: f"p4r0l' {f['pw']}",
    "spaced_kw": lambda f: f"п а р о л ь  {f['pw']}",
    "zw_token": lambda f: t_zw(f["ghp"]),
    "newline_token": lambda f: f"токен {t_newline(f['sk'])}",
    "basic_auth": lambda f: "Authorization: Basic " + t_b64(f"{f['login']}:{f['pw']}"),
    "b64_pw": lambda f: f"пароль в base64: {t_b64(f['pw'])}",
    "homoglyph_kw": lambda f: f"пaрoль {f['pw']}",
    "split_msg": lambda f: f"логин {f['login']}\nа пасс\n{f['pw']}",
    "aws_spaced": lambda f: "ключ " + " ".join(f["akia"][i : i + 4] for i in range(0, 20, 4)),
    "hex_pw": lambda f: f"pw(hex)={t_hex(f['pw'])}",
}
DIS_SECRET_CTX = ["{d}", "держи: {d}", "{d}\nтолько никому", "for prod -> {d}"]

DIS_MARK = {
    "spaced_letters": lambda m: t_spaced_letters(m),
    "dotted_letters": lambda m: t_dotted_letters(m),
    "homoglyph": lambda m: t_homoglyph(m),
    "zw": lambda m: t_zw(m),
    "leet": lambda m: t_leet(m),
    "translit": lambda m: {
        "Коммерческая тайна": "Kommercheskaya tayna",
        "КОНФИДЕНЦИАЛЬНО": "KONFIDENCIALNO",
        "ДСП": "DSP (dlya sluzhebnogo polzovaniya)",
        "Для служебного пользования": "Dlya sluzhebnogo polzovaniya",
        "Не для распространения": "Ne dlya rasprostraneniya",
        "Секретно": "SEKRETNO",
        "СТРОГО КОНФИДЕНЦИАЛЬНО": "STROGO KONFIDENCIALNO",
    }[m],
    "mixed_case": lambda m: "".join(ch.upper() if i % 2 else ch.lower() for i, ch in enumerate(m)),
}
DIS_MARK_CTX = [
    "{d}\nпрогноз по выручке во вложении",
    "[{d}] список на сокращение",
    "отчёт по аудиту. {d}",
    "{d} — не пересылать",
]


def dis_numeric_value(kind: str, f: dict[str, str]) -> str:
    if kind == "passport_ru":
        return R.choice([f"{f['pser']} {f['pnum']}", f"{f['pser_sp']} {f['pnum']}"])
    if kind == "card":
        return R.choice([f["card"], f["card_sp"]])
    return f[DIS_NUMERIC[kind][0]]


DIS_TEMPLATES: list[tuple[str, str, str]] = []  # (name, kind, transform)
for _kind in DIS_NUMERIC:
    for _t in NUM_T:
        if _kind == "iban" and _t in ("words_ru", "words_en", "fullwidth"):
            continue
        DIS_TEMPLATES.append((f"dis_{_kind}_{_t}", _kind, _t))
for _t in DIS_EMAIL:
    DIS_TEMPLATES.append((f"dis_email_{_t}", "email", _t))
for _t in DIS_SECRET:
    DIS_TEMPLATES.append((f"dis_secret_{_t}", "secret", _t))
for _t in DIS_MARK:
    DIS_TEMPLATES.append((f"dis_marking_{_t}", "marking", _t))


def make_disguised(kind: str, t: str, f: dict[str, str]) -> str:
    if kind == "email":
        return R.choice(DIS_EMAIL_CTX).format(d=DIS_EMAIL[t](f["email_user"], f["email_dom"]))
    if kind == "secret":
        return R.choice(DIS_SECRET_CTX).format(d=DIS_SECRET[t](f))
    if kind == "marking":
        return R.choice(DIS_MARK_CTX).format(d=DIS_MARK[t](R.choice(MARKS_RU)))
    val = dis_numeric_value(kind, f)
    keep_plus = kind == "phone" and t not in ("base64", "hex")
    d = "+" + NUM_T[t](val[1:]) if keep_plus else NUM_T[t](val)
    return R.choice(DIS_NUMERIC[kind][1]).format(d=d)


# ---------------------------------------------------------------- hard negatives

HARD: list[tuple[str, str]] = [
    ("hn_date_meeting", "Встреча перенесена на {date} в 14:30, переговорка 4.12"),
    ("hn_price", "Итого по КП: {price} ₽ с НДС, скидка 7% при оплате до {date}"),
    ("hn_order", "Заказ № {order} отгружен, ждём подтверждения склада"),
    ("hn_ticket", "Тикет {ticket} закрыт, проверь у себя"),
    ("hn_invoice_en", "Invoice INV-2024-{order} has been paid, thanks!"),
    ("hn_tracking_intl", "Трек посылки RA{order}{last3}RU, пришла в сортировочный центр"),
    ("hn_version", "Раскатили релиз v{ver} на прод, changelog в конфлюенсе"),
    ("hn_ip", "Сервер мониторинга переехал на {ip}, порт 9090"),
    ("hn_uuid", "request_id={uuid} упал с 502, посмотри логи"),
    ("hn_sha", "фикс в коммите {sha}, черри-пикни в релизную ветку"),
    ("hn_sha256", "sha256 архива: {sha256}"),
    ("hn_reset_pw_ru", "Сбросить пароль можно по ссылке «Забыли пароль?» на странице входа"),
    ("hn_reset_pw_en", "Click 'Reset your password' on the login page, the link expires in 1h"),
    ("hn_pw_policy", "Новый пароль должен быть не короче 12 символов и содержать цифру"),
    ("hn_pw_dont_share", "Напоминаю: пароли и токены в чат не пишем, только через Vault"),
    ("hn_pw_placeholder", "в конфиге оставь password: <ваш_пароль>, реальный подставит CI"),
    ("hn_pw_masked", "пароль: ********, если не помнишь — запроси сброс"),
    ("hn_token_expired", "Token expired, please re-authenticate via SSO"),
    ("hn_aws_topic", "Ключи AWS ротируем раз в 90 дней, скрипт лежит в репе infra"),
    ("hn_privacy_policy", "Юристы обновили политику конфиденциальности, прочитайте до {date}"),
    ("hn_privacy_en", "Our privacy policy explains how we process personal data under GDPR"),
    ("hn_nda_topic", "NDA с подрядчиком подписали? Без него не даём доступ к репозиторию"),
    ("hn_nda_en_topic", "Legal is still reviewing the NDA template, expect comments next week"),
    ("hn_masked_card", "Оплата прошла с карты **** **** **** {last4}"),
    ("hn_masked_card_en", "Card ending in {last4} was charged {price} RUB"),
    ("hn_bik_alone", "БИК банка {bik}, остальное пришлю позже"),
    ("hn_dsp_furniture", "Шкаф из ДСП 16 мм, кромка ПВХ, срок изготовления 10 дней"),
    ("hn_secret_idiom", "Не секрет, что отчёт опять задерживается :)"),
    (
        "hn_confidential_topic",
        "Обсудим на тренинге, что вообще считать конфиденциальной информацией",
    ),
    ("hn_inn_field", "ИНН указывайте в поле 3 анкеты, без пробелов"),
    ("hn_passport_field", "серию и номер паспорта вносите в форму, в чат не присылайте"),
    ("hn_phone_topic", "Телефон поддержки указан на сайте, звонок бесплатный"),
    ("hn_email_topic", "почту настроили, письма с вложениями больше 25 МБ не уходят"),
    ("hn_snils_topic", "СНИЛС теперь можно не приносить, кадры проверят через Госуслуги"),
    ("hn_iban_topic", "IBAN is only needed for EUR transfers, RUB payments go by BIK"),
    ("hn_build_time", "Сборка #{order} заняла 12 мин 40 сек, кэш прогрелся"),
    ("hn_temperature", "В серверной 27.5°C, кондиционер на {ip} не отвечает"),
    ("hn_quarter", "Выручка за Q3 выросла на 14,2% до {price} тыс. ₽"),
    ("hn_coords", "Склад: 55.7558, 37.6173, въезд с северной стороны"),
    ("hn_secret_santa", "Тайный Санта: жеребьёвка {date}, бюджет подарка 1500 ₽"),
    ("hn_password_game", "Статья про самые частые пароли в утечках — почитайте, полезно"),
    ("hn_internal_meeting", "Внутренняя встреча по бюджету в четверг, приглашения разослал"),
]

# ---------------------------------------------------------------- numeric negatives


def ts_inn_valid() -> str:
    while True:
        v = str(R.randint(1_500_000_000, 1_760_000_000))
        if ru_inn.is_valid(v) or R.random() < 0.2:
            return v


def build12_inn_valid() -> str:
    while True:
        v = str(R.randint(1, 9)) + digits(11)
        if ru_inn.is_valid(v) or R.random() < 0.05:
            return v


def callid11_snils_valid() -> str:
    while True:
        v = R.choice("123456") + digits(8)
        v += snils_check(v)
        if R.random() < 0.8:
            return v


def ean13_ogrn_valid() -> str:
    while True:
        v = R.choice(["460", "978", "590", "400"]) + digits(9)
        v += ean.calc_check_digit(v)
        if int(v[:12]) % 11 % 10 == int(v[12]) or R.random() < 0.1:
            return v


def ms_ts_ogrn_valid() -> str:
    while True:
        v = str(R.randint(1_600_000_000_000, 1_760_000_000_000))
        if int(v[:12]) % 11 % 10 == int(v[12]) or R.random() < 0.1:
            return v


def trace16_luhn() -> str:
    body = R.choice("1369") + digits(14)
    return body + luhn.calc_check_digit(body)


def job15_ogrnip() -> str:
    s = "3" + digits(13)
    return s + str(int(s) % 13 % 10)


def offset20() -> str:
    return "1" + digits(19)


NUMERIC: list[tuple[str, object, str]] = [
    ("nn_unix_ts", ts_inn_valid, "event processed at {v}, lag 3s"),
    ("nn_unix_ts_ru", ts_inn_valid, "метка времени {v}, дальше ретрай"),
    ("nn_build_id", build12_inn_valid, "build {v} green, можно мержить"),
    ("nn_call_id", callid11_snils_valid, "call-id {v}, длительность 3:42, качество ок"),
    ("nn_ean13", ean13_ogrn_valid, "штрихкод {v} не пробивается на кассе"),
    ("nn_ean13_en", ean13_ogrn_valid, "EAN {v} missing in catalogue export"),
    ("nn_ms_ts", ms_ts_ogrn_valid, "ts_ms={v} offset=0"),
    ("nn_trace16", trace16_luhn, "trace {v} — смотри в jaeger"),
    ("nn_job15", job15_ogrnip, "job #{v} finished with exit code 0"),
    ("nn_kafka_offset", offset20, "consumer lag, committed offset {v}"),
]

# ---------------------------------------------------------------- assembly

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
PHONE_RE = re.compile(r"\+\d[\d ()-]{8,}")


def main() -> None:
    rows: list[dict[str, object]] = []

    plain = [PLAIN[i % len(PLAIN)] for i in range(N_PLAIN)]
    R.shuffle(plain)
    for name, labels, tpl in plain:
        f = fields()
        rows.append(
            {"text": tpl.format(**f), "labels": sorted(labels), "category": "plain", "note": name}
        )

    dis = [DIS_TEMPLATES[i % len(DIS_TEMPLATES)] for i in range(N_DISGUISED)]
    for name, kind, t in dis:
        f = fields()
        rows.append(
            {
                "text": make_disguised(kind, t, f),
                "labels": [kind],
                "category": "disguised",
                "note": name,
            }
        )

    for i in range(N_HARD):
        name, tpl = HARD[i % len(HARD)]
        text = tpl.format(**fields())
        assert not EMAIL_RE.search(text), text
        assert not PHONE_RE.search(text), text
        rows.append({"text": text, "labels": [], "category": "hard_negative", "note": name})

    for i in range(N_NUMERIC):
        name, gen, tpl = NUMERIC[i % len(NUMERIC)]
        text = tpl.format(v=gen())  # type: ignore[operator]
        rows.append({"text": text, "labels": [], "category": "numeric_negative", "note": name})

    R.shuffle(rows)
    with OUT.open("w", encoding="utf-8") as fh:
        for n, row in enumerate(rows, 1):
            rec = {"id": f"d2-{n:04d}", **row}
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
