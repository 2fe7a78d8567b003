"""The words of the demo tickets: IT-support topics in Russian and English.

Each topic belongs to a demo queue (by key prefix) and holds cases (ways to title a
problem, its Markdown description and how it was solved), agents' replies and internal
notes; ``{slots}`` are filled from ``SLOT_VALUES`` by the caller's random generator, so a
seed gives the same text every time. ``RARE_WORD`` appears only in the ``plotter`` topic,
which gets about 1 % of the tickets: the benchmark searches for it.
"""

from dataclasses import dataclass

RARE_WORD = "плоттер"
RARE_TOPIC_SHARE = 0.01


@dataclass(frozen=True)
class Case:
    """One kind of problem: ways to title it, how it is described, how it ends."""

    titles: tuple[str, ...]
    description: str
    solutions: tuple[str, ...]


@dataclass(frozen=True)
class Texts:
    cases: tuple[Case, ...]
    replies: tuple[str, ...]
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Topic:
    code: str
    queue: str
    weight: float
    tags: tuple[str, ...]
    ru: Texts
    en: Texts | None = None


SLOT_VALUES: dict[str, tuple[str, ...]] = {
    "printer": (
        "HP LaserJet Pro M404dn",
        "Kyocera ECOSYS M2040dn",
        "Canon i-SENSYS MF443dw",
        "Xerox VersaLink B405",
        "Brother HL-L5100DN",
        "Pantum M6700DW",
    ),
    "plotter": ("HP DesignJet T650", "Canon imagePROGRAF TM-300", "Epson SureColor T3100"),
    "laptop": (
        "Lenovo ThinkPad T14",
        "HP ProBook 450 G8",
        "Dell Latitude 5420",
        "Huawei MateBook D15",
        "ASUS ExpertBook B1",
    ),
    "monitor": ("Dell P2422H", "AOC 24B2XH", "Samsung S24R350", "LG 27MP400", "Philips 243V7"),
    "device": ("мышь", "клавиатура", "гарнитура", "веб-камера", "док-станция"),
    "device_en": ("mouse", "keyboard", "headset", "webcam", "docking station"),
    "room": ("105", "112", "204", "214", "217", "308", "311", "402", "415", "501"),
    "floor": ("1", "2", "3", "4", "5"),
    "pc": ("PC-BUH-014", "PC-HR-003", "PC-SKL-021", "NB-SALES-112", "PC-LAW-007", "NB-IT-045"),
    "ip": ("10.12.3.45", "10.12.7.118", "10.20.1.34", "192.168.40.17", "10.12.5.201"),
    "vpn_client": ("FortiClient", "Cisco AnyConnect", "OpenVPN Connect"),
    "vpn_error": (
        "Credential or SSLVPN configuration is wrong (-7200)",
        "The VPN connection was terminated by the peer",
        "TLS handshake failed",
        "Connection attempt has timed out",
    ),
    "base1c": (
        "Бухгалтерия предприятия 3.0",
        "Зарплата и управление персоналом 3.1",
        "Управление торговлей 11.5",
        "Документооборот 3.0",
    ),
    "error1c": (
        "Ошибка блокировки объекта. Объект уже заблокирован",
        "Недостаточно прав для просмотра данных",
        "Неверный формат хранилища данных",
        "Превышено максимальное количество пользователей",
        "Поле объекта не обнаружено (КПП)",
    ),
    "share": (
        "\\\\fs01\\buh",
        "\\\\fs01\\hr",
        "\\\\fs02\\sklad",
        "\\\\fs01\\projects",
        "\\\\fs02\\scan",
    ),
    "app": (
        "Adobe Acrobat Reader",
        "7-Zip",
        "КОМПАС-3D",
        "Microsoft Visio",
        "Контур.Экстерн",
        "КриптоПро CSP",
        "Notepad++",
    ),
    "app_en": ("Adobe Acrobat Reader", "7-Zip", "Microsoft Visio", "Notepad++", "Power BI Desktop"),
    "dept": ("бухгалтерия", "отдел кадров", "склад", "отдел продаж", "юридический отдел"),
    "dept_loc": ("в бухгалтерии", "в отделе кадров", "на складе", "в отделе продаж", "в приёмной"),
    "dept_en": ("accounting", "HR", "the warehouse", "sales", "legal"),
    "person": (
        "Ольга Николаевна",
        "Алексей Петрович",
        "Наталья Сергеевна",
        "Виктор Андреевич",
        "Татьяна Ивановна",
    ),
    "newbie": ("Кравцова Алина", "Морозов Павел", "Лебедева Ксения", "Новиков Артём"),
    "newbie_en": ("Alina Kravtsova", "Pavel Morozov", "Ksenia Lebedeva", "Artyom Novikov"),
    "ssid": ("Office-Corp", "Office-Guest", "Sklad-WiFi"),
    "ext": ("2114", "2231", "2307", "2415", "2520"),
    "city": ("Казань", "Екатеринбург", "Пермь", "Тверь"),
    "n": ("2", "3", "4", "5", "10", "15"),
    "size": ("49,5", "49,8", "50"),
    "inv": ("ИНВ-00412", "ИНВ-01187", "ИНВ-02235", "ИНВ-03391"),
}

# --- Topics ---------------------------------------------------------------------------

PRINTER = Topic(
    code="printer",
    queue="HW",
    weight=12,
    tags=("принтер", "печать"),
    ru=Texts(
        cases=(
            Case(
                ("Не печатает принтер в кабинете {room}", "Документы висят в очереди печати"),
                "Добрый день!\n\nПринтер **{printer}** в кабинете {room} перестал печатать. "
                "Документы уходят в очередь и висят со статусом «Ошибка».\n\n"
                "Что уже пробовали:\n- выключали и включали принтер;\n"
                "- перезагружали компьютер;\n- проверяли бумагу.\n\nИмя компьютера: `{pc}`.",
                (
                    "Очередь печати очищена, служба диспетчера печати перезапущена. Печать идёт.",
                    "Переустановили драйвер, тестовая страница напечаталась.",
                ),
            ),
            Case(
                ("Закончился картридж {dept_loc}", "Принтер печатает полосами"),
                "Здравствуйте. {dept_loc_cap} принтер {printer} печатает бледно и с серыми "
                "полосами по краю листа. Судя по всему, заканчивается тонер.\n\n"
                "Нужен новый картридж, печатаем много: отчёты и накладные каждый день.",
                ("Заменили картридж, тестовая страница печатается чисто.",),
            ),
            Case(
                ("Принтер {printer} зажёвывает бумагу", "Замятие бумаги на {floor} этаже"),
                "Принтер на {floor} этаже при печати пишет **«Замятие бумаги»**, хотя бумаги "
                "внутри нет. Открывали все крышки, ничего не нашли.\n\n"
                "Срочно нужно распечатать договоры.",
                (
                    "Достали обрывок бумаги из узла закрепления, принтер работает.",
                    "Почистили ролик подачи, замятий больше нет.",
                ),
            ),
        ),
        replies=(
            "Переустановили драйвер принтера на `{pc}`, очистили очередь печати. "
            "Попробуйте отправить документ ещё раз.",
            "Подойду сегодня после обеда, посмотрю принтер на месте.",
            "Проверили: принтер доступен по сети ({ip}), задание до него доходит. "
            "Похоже, проблема в самом аппарате.",
        ),
        notes=(
            "Картриджей на складе осталось {n} шт., надо заказывать партию.",
            "Принтер {inv} уже третий раз за месяц ломается, стоит сдать в сервис.",
        ),
    ),
    en=Texts(
        cases=(
            Case(
                ("Printer in room {room} does not print", "Print jobs stuck in the queue"),
                "Hi,\n\nthe **{printer}** in room {room} stopped printing. Jobs stay in the "
                "queue with status *Error*.\n\nWe already:\n- restarted the printer;\n"
                "- restarted the PC (`{pc}`).",
                ("Cleared the print queue and restarted the spooler; printing works.",),
            ),
            Case(
                ("Paper jam on the {printer}",),
                "The printer on floor {floor} reports a **paper jam**, but there is no paper "
                "inside. We opened every cover.",
                ("Removed a torn piece of paper from the fuser; printing works again.",),
            ),
        ),
        replies=(
            "I reinstalled the printer driver on `{pc}` and cleared the queue, please try again.",
            "I will come by after lunch and look at the printer.",
        ),
        notes=("Only {n} cartridges left in stock, we need to order more.",),
    ),
)

PLOTTER = Topic(
    code="plotter",
    queue="HW",
    weight=0,  # set below to RARE_TOPIC_SHARE of all tickets
    tags=("плоттер", "печать"),
    ru=Texts(
        cases=(
            Case(
                ("Плоттер {plotter} не видит рулон", "Плоттер не печатает чертежи А1"),
                "Плоттер **{plotter}** пишет «Рулон не загружен», хотя рулон стоит. "
                "Чертежи формата А1 не печатаются с утра.\n\n"
                "Нужно сдать комплект до конца недели.",
                ("Датчик рулона почищен, плоттер видит бумагу, чертежи печатаются.",),
            ),
            Case(
                ("Плоттер печатает со смещением",),
                "При печати чертежей из КОМПАС-3D плоттер сдвигает изображение на 2–3 см "
                "вправо, часть рамки обрезается.\n\n- формат: А0, А1\n"
                "- драйвер: последний с сайта производителя",
                ("Плоттер откалиброван, печать А1 проходит без сдвига.",),
            ),
            Case(
                ("Подключить плоттер к ноутбуку {pc}",),
                "Прошу подключить плоттер проектного отдела к моему ноутбуку `{pc}`.",
                ("Плоттер подключён по сети, драйвер установлен на `{pc}`.",),
            ),
        ),
        replies=(
            "Перекалибровали плоттер, сделайте, пожалуйста, пробную печать.",
            "Проверили настройки драйвера плоттера: поля стояли неверно, поправили.",
        ),
        notes=("Запросили у поставщика плоттера выезд инженера по гарантии.",),
    ),
)

LAPTOP = Topic(
    code="laptop",
    queue="HW",
    weight=8,
    tags=("ноутбук",),
    ru=Texts(
        cases=(
            Case(
                ("Ноутбук {laptop} не включается", "Не запускается ноутбук"),
                "Ноутбук **{laptop}** (инв. {inv}) не включается: индикатор питания мигает "
                "оранжевым, экран чёрный. Зарядку пробовали другую.",
                ("Заменили аккумулятор по гарантии, ноутбук работает.",),
            ),
            Case(
                ("Нужен ноутбук для командировки в {city}",),
                "Прошу выдать ноутбук на время командировки в {city} на следующей неделе. "
                "Нужны:\n- VPN;\n- 1С;\n- почта.\n\nРуководитель согласовал.",
                ("Ноутбук выдан под подпись, инвентарный номер {inv}.",),
            ),
            Case(
                ("Сильно греется и шумит ноутбук", "Тормозит ноутбук {laptop}"),
                "Ноутбук тормозит и очень шумит вентилятором, даже когда открыт только "
                "браузер. Работать невозможно.",
                ("Почистили систему охлаждения и заменили термопасту, ноутбук не греется.",),
            ),
            Case(
                ("Разбит экран ноутбука",),
                "Ноутбук {laptop} упал со стола, по экрану пошла трещина, половина "
                "изображения не видна.",
                ("Экран заменён в сервисе, ноутбук возвращён пользователю.",),
            ),
        ),
        replies=(
            "Заберу ноутбук на диагностику, на время выдам подменный.",
            "Подготовлю ноутбук: учётная запись, VPN-клиент {vpn_client}, 1С.",
            "Ноутбук отправили в сервисный центр, срок ремонта до двух недель.",
        ),
        notes=("Гарантия на {inv} заканчивается через {n} мес., оформить обращение сейчас.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("Laptop {laptop} does not turn on",),
                "My **{laptop}** does not start: the power LED blinks orange and the screen "
                "stays black. Tried another charger.",
                ("The battery was replaced under warranty; the laptop works.",),
            ),
            Case(
                ("Need a laptop for a business trip",),
                "I need a laptop with VPN, 1C and e-mail for a trip next week.",
                ("The laptop is ready, inventory number {inv}.",),
            ),
        ),
        replies=("I will take the laptop for diagnostics and give you a spare one meanwhile.",),
    ),
)

PERIPHERALS = Topic(
    code="peripherals",
    queue="HW",
    weight=4,
    tags=("периферия",),
    ru=Texts(
        cases=(
            Case(
                ("Не работает {device}",),
                "Перестала работать {device} на рабочем месте в кабинете {room}. "
                "Переподключали в другой порт, не помогло.",
                ("Заменили на новую, старая списана.",),
            ),
            Case(
                ("Нужен второй монитор",),
                "Прошу установить второй монитор: работаю с большими таблицами в 1С и Excel. "
                "Согласовано с руководителем ({person}).",
                ("Монитор {monitor} установлен и настроен как второй экран.",),
            ),
            Case(
                ("Монитор {monitor} мерцает",),
                "Монитор **{monitor}** периодически гаснет на секунду и мерцает. Кабель шевелили.",
                ("Заменили кабель DisplayPort, мерцание пропало.",),
            ),
        ),
        replies=("Принесу замену сегодня.", "Проверю кабель и блок питания."),
    ),
    en=Texts(
        cases=(
            Case(
                ("My {device_en} stopped working",),
                "The {device_en} at my desk in room {room} stopped working.",
                ("Replaced it with a new one.",),
            ),
        ),
        replies=("I will bring a replacement today.",),
    ),
)

VPN = Topic(
    code="vpn",
    queue="NET",
    weight=9,
    tags=("vpn", "удалённая-работа"),
    ru=Texts(
        cases=(
            Case(
                ("Не подключается VPN из дома", "{vpn_client}: ошибка при подключении"),
                "Добрый вечер. Из дома не подключается VPN, клиент **{vpn_client}** пишет:"
                "\n\n```\n{vpn_error}\n```\n\nВчера всё работало. Интернет дома есть.",
                (
                    "Продлили сертификат пользователя, VPN подключается.",
                    "Сбросили сессию на шлюзе и пароль, VPN подключается.",
                ),
            ),
            Case(
                ("Нужен доступ по VPN для сотрудника",),
                "Прошу выдать удалённый доступ по VPN сотруднику ({dept}) на период удалённой "
                "работы. Нужен доступ к 1С и к папке `{share}`.",
                ("Учётная запись добавлена в группу VPN-Users, доступ работает.",),
            ),
            Case(
                ("VPN отключается каждые 10 минут",),
                "VPN подключается, но через 10–15 минут соединение рвётся, и 1С вылетает "
                "с ошибкой.",
                ("Обновили клиент {vpn_client} до последней версии, обрывов больше нет.",),
            ),
        ),
        replies=(
            "Сбросили сессию на шлюзе, попробуйте подключиться заново.",
            "Проверьте, пожалуйста, что в {vpn_client} указан сервер vpn.example.com и порт 443.",
            "Вижу в журнале шлюза неудачные попытки входа с вашей учётной записи.",
        ),
        notes=("На шлюзе занято {n}0 из 200 лицензий, следить за остатком.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("VPN does not connect from home", "{vpn_client} error when connecting"),
                "Hello, VPN does not connect from home. **{vpn_client}** says:\n\n"
                "```\n{vpn_error}\n```\n\nIt worked yesterday.",
                ("Your certificate was renewed and VPN connects again.",),
            ),
        ),
        replies=("I reset your session on the gateway, please try again.",),
    ),
)

WIFI = Topic(
    code="wifi",
    queue="NET",
    weight=5,
    tags=("wi-fi", "сеть"),
    ru=Texts(
        cases=(
            Case(
                ("Плохо ловит Wi-Fi в переговорной",),
                "В переговорной на {floor} этаже Wi-Fi постоянно пропадает, видеозвонки "
                "обрываются.",
                ("Поставили дополнительную точку доступа, сигнал стабильный.",),
            ),
            Case(
                ("Не подключается к сети {ssid}",),
                "Ноутбук не подключается к сети **{ssid}**: «Не удаётся подключиться к этой "
                "сети». Телефон при этом подключается.",
                ("Обновили драйвер Wi-Fi адаптера, подключение работает.",),
            ),
        ),
        replies=(
            "Посмотрели карту покрытия: точка доступа на {floor} этаже перегружена.",
            "Удалите, пожалуйста, сеть {ssid} из сохранённых и подключитесь заново.",
        ),
    ),
    en=Texts(
        cases=(
            Case(
                ("Weak Wi-Fi in the meeting room",),
                "Wi-Fi keeps dropping in the meeting room on floor {floor}.",
                ("An extra access point was installed; the signal is stable now.",),
            ),
        ),
        replies=("The access point on that floor is overloaded, I am checking it.",),
    ),
)

NETWORK = Topic(
    code="network",
    queue="NET",
    weight=8,
    tags=("сеть",),
    ru=Texts(
        cases=(
            Case(
                ("Нет сети на рабочем месте", "Неопознанная сеть на {pc}"),
                "На компьютере `{pc}` пропала сеть: значок с жёлтым треугольником, "
                "«Неопознанная сеть». Кабель воткнут.",
                ("Заменили патч-корд, сеть есть.", "Включили порт на коммутаторе, сеть есть."),
            ),
            Case(
                ("Очень медленный интернет {dept_loc}", "Медленно открываются сетевые папки"),
                "{dept_loc_cap} с утра очень медленно работает интернет и сетевые папки, "
                "файлы открываются по минуте.",
                ("Перезагрузили коммутатор на {floor} этаже, скорость в норме.",),
            ),
            Case(
                ("Нет связи с филиалом ({city})",),
                "Филиал ({city}) не видит сервер 1С, ping до {ip} не проходит.",
                ("Провайдер устранил аварию на линии, связь с филиалом восстановлена.",),
            ),
        ),
        replies=(
            "Проверили порт на коммутаторе, он был отключён. Включили.",
            "Вижу высокую загрузку канала, разбираемся с провайдером.",
            "Получите, пожалуйста, адрес заново: `ipconfig /renew` в командной строке.",
        ),
        notes=("Коммутатор на {floor} этаже пора менять: порты отваливаются.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("No network at my desk",),
                "`{pc}` shows *Unidentified network*; the cable is plugged in.",
                ("Replaced the patch cord; the network is back.",),
            ),
        ),
        replies=("The switch port was disabled, I enabled it.",),
    ),
)

PHONE = Topic(
    code="phone",
    queue="NET",
    weight=4,
    tags=("телефония",),
    ru=Texts(
        cases=(
            Case(
                ("Не работает IP-телефон, доб. {ext}",),
                "Телефон с добавочным **{ext}** показывает «Нет регистрации», звонки не проходят.",
                ("Телефон перерегистрирован на АТС, звонки проходят.",),
            ),
            Case(
                ("Настроить переадресацию звонков",),
                "Прошу настроить переадресацию с добавочного {ext} на мобильный на время отпуска.",
                ("Переадресация настроена.",),
            ),
        ),
        replies=("Проверю настройки на АТС.",),
    ),
)

ERP = Topic(
    code="1c",
    queue="ERP",
    weight=14,
    tags=("1с",),
    ru=Texts(
        cases=(
            Case(
                ("Ошибка при проведении документа в 1С", "Не проводится реализация в 1С"),
                "При проведении документа «Реализация товаров и услуг» в базе "
                "**{base1c}** появляется ошибка:\n\n```\n{error1c}\n```\n\n"
                "Документ не проводится, отгрузка стоит.",
                (
                    "Пересчитали итоги регистров, документ проводится.",
                    "Сняли зависшую блокировку, документ проведён.",
                ),
            ),
            Case(
                ("Не запускается 1С: {base1c}",),
                "Не запускается 1С ({base1c}), после выбора базы окно закрывается без "
                "сообщений. Компьютер `{pc}`.",
                ("Очистили кэш 1С и переустановили платформу, база открывается.",),
            ),
            Case(
                ("Нет прав на документ в 1С", "Права на авансовые отчёты в 1С"),
                "Нужны права на документы «Авансовый отчёт». Сотрудник: {person} ({dept}). "
                "Согласовано с главным бухгалтером.",
                ("Права добавлены, пользователю нужно перезайти в 1С.",),
            ),
            Case(
                ("1С очень медленно работает", "Тормозит 1С {dept_loc}"),
                "1С работает очень медленно: открытие списка документов занимает больше "
                "минуты. У коллег {dept_loc} то же самое.",
                ("Обновили статистику и перестроили индексы базы, списки открываются быстро.",),
            ),
            Case(
                ("Обновить конфигурацию 1С",),
                "Вышел новый релиз **{base1c}** с изменениями отчётности, прошу обновить.",
                ("Конфигурация обновлена до последнего релиза.",),
            ),
        ),
        replies=(
            "Подключусь к вам и посмотрю журнал регистрации.",
            "Проверили журнал регистрации: документ держит другой пользователь.",
            "Выполнили тестирование и исправление базы, жду окна для перезапуска сервера.",
        ),
        notes=(
            "Обновление {base1c} ставим на выходные, согласовать с бухгалтерией.",
            "Похоже на ошибку релиза, открыли обращение к разработчику конфигурации.",
        ),
    ),
    en=Texts(
        cases=(
            Case(
                ("1C error when posting a document",),
                "Posting a document in **{base1c}** fails with:\n\n```\n{error1c}\n```",
                ("A stuck lock was released; the document is posted.",),
            ),
            Case(
                ("Cannot start 1C",),
                "1C ({base1c}) closes right after I choose the database. PC: `{pc}`.",
                ("Cleared the 1C cache and reinstalled the platform; it starts now.",),
            ),
        ),
        replies=("I will connect to your PC and look at the event log.",),
    ),
)

PASSWORD = Topic(
    code="password",
    queue="HD",
    weight=9,
    tags=("учётная-запись", "пароль"),
    ru=Texts(
        cases=(
            Case(
                ("Заблокирована учётная запись", "Не могу войти в компьютер"),
                "Не могу войти в компьютер: «Учётная запись заблокирована». Пароль вводили "
                "несколько раз, видимо, не в той раскладке.",
                ("Учётная запись разблокирована, вход работает.",),
            ),
            Case(
                ("Сбросить пароль после отпуска", "Истёк пароль"),
                "После отпуска истёк пароль, а новый система не принимает.",
                ("Пароль сброшен, при входе система попросит задать новый.",),
            ),
            Case(
                ("Не приходит код для входа",),
                "Не приходит код подтверждения на телефон при входе в почту.",
                ("Номер телефона в профиле исправлен, код приходит.",),
            ),
        ),
        replies=(
            "Разблокировали учётную запись. Временный пароль передам по телефону.",
            "Уточните, пожалуйста, номер телефона, на который должен приходить код.",
        ),
    ),
    en=Texts(
        cases=(
            Case(
                ("Account locked out", "Cannot sign in"),
                "I cannot sign in: *the account is locked*. I probably typed it wrong.",
                ("The account is unlocked; signing in works.",),
            ),
        ),
        replies=("I unlocked the account; I will call you with a temporary password.",),
    ),
)

MAIL = Topic(
    code="mail",
    queue="HD",
    weight=9,
    tags=("почта", "outlook"),
    ru=Texts(
        cases=(
            Case(
                ("Не приходят письма от контрагента",),
                "Перестали приходить письма от поставщика, он говорит, что отправляет. "
                "В спаме тоже нет.",
                ("Домен поставщика добавлен в белый список, письма приходят.",),
            ),
            Case(
                ("Переполнен почтовый ящик",),
                "Outlook пишет, что ящик заполнен ({size} ГБ из 50), не могу отправлять письма.",
                ("Квота ящика увеличена, старые письма перенесены в архив.",),
            ),
            Case(
                ("Outlook просит пароль",),
                "Outlook каждые полчаса просит ввести пароль, ввожу, а он снова спрашивает.",
                ("Пересоздали профиль Outlook, пароль больше не спрашивает.",),
            ),
            Case(
                ("Настроить почту на телефоне",),
                "Прошу помочь настроить рабочую почту на личном телефоне.",
                ("Почта на телефоне настроена.",),
            ),
        ),
        replies=(
            "Проверю журнал доставки писем.",
            "Настроили архивирование старых писем в PST, проверьте место в ящике.",
            "Пересоздали профиль Outlook на `{pc}`.",
        ),
        notes=("Антиспам режет письма с этого домена из-за SPF, написали их администраторам.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("Mailbox is full",),
                "Outlook says my mailbox is full ({size} GB of 50) and I cannot send.",
                ("The quota was raised and old mail moved to the archive.",),
            ),
            Case(
                ("Outlook keeps asking for the password",),
                "Every half an hour Outlook asks for my password again.",
                ("The Outlook profile was recreated; it no longer asks.",),
            ),
        ),
        replies=("I will check the message trace.",),
    ),
)

ACCESS = Topic(
    code="access",
    queue="HD",
    weight=8,
    tags=("доступ", "файловый-сервер"),
    ru=Texts(
        cases=(
            Case(
                ("Нет доступа к папке {share}",),
                "При открытии `{share}` пишет «Нет доступа». Раньше открывалось.",
                ("Доступ к {share} восстановлен.",),
            ),
            Case(
                ("Дать права на сетевую папку", "Доступ к {share} для сотрудника"),
                "Прошу дать права на чтение и запись в папку `{share}`. Сотрудник: {person}. "
                "Руководитель отдела согласовал.",
                ("Права на запись добавлены.",),
            ),
        ),
        replies=(
            "Права выдаются по согласованию владельца папки, запросили подтверждение.",
            "Добавили учётную запись в группу доступа, нужно выйти из системы и войти заново.",
        ),
        notes=("Владелец папки {share}: {person}, согласование получено по почте.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("No access to {share}",),
                "Opening `{share}` says *Access denied*; it worked before.",
                ("Access to {share} granted.",),
            ),
        ),
        replies=("I added you to the access group; please sign out and in again.",),
    ),
)

SOFTWARE = Topic(
    code="software",
    queue="HD",
    weight=7,
    tags=("установка-по",),
    ru=Texts(
        cases=(
            Case(
                ("Установить {app}", "Нужна программа {app}"),
                "Прошу установить **{app}** на компьютер `{pc}`, нужна для работы с документами.",
                ("Программа {app} установлена.",),
            ),
            Case(
                ("Не открываются PDF-файлы",),
                "После обновления Windows не открываются PDF: программа закрывается сразу.",
                ("Переустановили программу просмотра, файлы открываются.",),
            ),
        ),
        replies=("Установлю удалённо, оставьте компьютер включённым.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("Please install {app_en}",),
                "Please install **{app_en}** on `{pc}`.",
                ("{app_en} is installed.",),
            ),
        ),
        replies=("I will install it remotely; please leave the PC on.",),
    ),
)

ONBOARDING = Topic(
    code="onboarding",
    queue="HD",
    weight=4,
    tags=("новый-сотрудник",),
    ru=Texts(
        cases=(
            Case(
                ("Новый сотрудник: {newbie}", "Подготовить рабочее место: {newbie}"),
                "С понедельника выходит новый сотрудник **{newbie}** ({dept}). Нужно:\n\n"
                "1. учётная запись и почта;\n2. доступ к 1С;\n3. папка `{share}`;\n"
                "4. рабочее место в кабинете {room}.",
                ("Рабочее место готово, доступы выданы.",),
            ),
        ),
        replies=(
            "Учётная запись создана, данные для входа передам руководителю.",
            "Рабочее место подготовим к понедельнику.",
        ),
        notes=("Для 1С нужна ещё одна лицензия, свободных {n}.",),
    ),
    en=Texts(
        cases=(
            Case(
                ("New employee: {newbie_en}",),
                "**{newbie_en}** joins {dept_en} on Monday. Please prepare:\n\n"
                "1. an account and mailbox;\n2. 1C access;\n3. a desk in room {room}.",
                ("The desk is ready and all access granted.",),
            ),
        ),
        replies=("The account is ready; I will send the details to the manager.",),
    ),
)

COMMON_TOPICS = (
    PRINTER,
    LAPTOP,
    PERIPHERALS,
    VPN,
    WIFI,
    NETWORK,
    PHONE,
    ERP,
    PASSWORD,
    MAIL,
    ACCESS,
    SOFTWARE,
    ONBOARDING,
)
_common_weight = sum(topic.weight for topic in COMMON_TOPICS)
TOPICS = (
    *COMMON_TOPICS,
    Topic(
        code=PLOTTER.code,
        queue=PLOTTER.queue,
        weight=_common_weight * RARE_TOPIC_SHARE / (1 - RARE_TOPIC_SHARE),
        tags=PLOTTER.tags,
        ru=PLOTTER.ru,
    ),
)
TOPIC_WEIGHTS = tuple(topic.weight for topic in TOPICS)
ENGLISH_SHARE = 0.15

# --- Comments any ticket may get ------------------------------------------------------

GENERIC = {
    "ru": {
        "openers": (
            "Добрый день! Заявка принята в работу.",
            "Посмотрю в течение часа.",
            "Добрый день! Уже разбираюсь.",
        ),
        "replies": (
            "Подключусь удалённо, подтвердите, пожалуйста, запрос на экране.",
            "Передали коллегам, они свяжутся с вами.",
            "Проверю ещё раз и отпишусь.",
        ),
        "questions": (
            "Пришлите, пожалуйста, скриншот ошибки.",
            "Уточните, пожалуйста, номер кабинета и удобное время.",
            "Проблема у вас одной или у коллег тоже?",
            "Когда вы будете на месте? Нужно подойти к компьютеру.",
        ),
        "requester": (
            "Спасибо, жду.",
            "Перезагрузка не помогла.",
            "Скриншот во вложении, ошибка та же.",
            "Я на месте до 18:00, кабинет {room}.",
            "Коллеги жалуются на то же самое.",
            "Всё ещё не работает, подскажите сроки?",
        ),
        "thanks": ("Всё работает, спасибо!", "Спасибо, вопрос решён."),
        "notes": (
            "@manager, нужна ваша санкция на закупку.",
            "Пользователь звонил, просил ускорить.",
            "Похоже на то же, что было на прошлой неделе {dept_loc}.",
            "Жду ответа поставщика, срок 2–3 дня.",
        ),
    },
    "en": {
        "openers": ("Hi! I have taken the ticket.", "I will look at it within an hour."),
        "replies": (
            "I will connect remotely; please accept the prompt on your screen.",
            "I will check again and get back to you.",
        ),
        "questions": (
            "Could you send a screenshot of the error, please?",
            "When will you be at your desk?",
        ),
        "requester": (
            "Thanks, waiting.",
            "Restarted it, did not help.",
            "Still not working; any estimate?",
        ),
        "thanks": ("Works now, thank you!",),
        "notes": (
            "User called and asked to speed this up.",
            "Waiting for the vendor, 2-3 days.",
        ),
    },
}
