"""How a narrator reads numbers, times, dates, money, measures and notation: a table by category (hand-written
cases from novels and everyday prose, plus systematic sweeps over units, currencies, months and clock
times), each run through `normalize` and the real `render --normalize -` for a sample, and `--explain`."""

from __future__ import annotations

import pytest

from pipeline.normalize import SPEAKABLE, normalize
from tests.conftest import run_cli

HAND = [
    # --- times: dotted (British fiction), colon, a.m./p.m., seconds, ranges ---
    ("time", "at 8.45 p.m., and then", "at eight forty-five PM, and then"),
    (
        "time",
        "He left Calcutta at 7.25 and arrived at 9.",
        "He left Calcutta at seven twenty-five and arrived at nine.",
    ),
    ("time", "the 10.15 from Paddington", "the ten fifteen from Paddington"),
    ("time", "We dined at 7.30.", "We dined at seven thirty."),
    ("time", "It was 9.05 a.m. when he rose.", "It was nine oh five AM when he rose."),
    ("time", "At 01:00 the bell rang.", "At one o'clock the bell rang."),
    ("time", "The time was 1:01:01 exactly.", "The time was one hour one minute and one second exactly."),
    ("time", "at 12:30:45 sharp", "at twelve hours thirty minutes and forty-five seconds sharp"),
    ("time", "Open 4:00 am - 8:12 pm daily.", "Open four AM to eight twelve PM daily."),
    ("time", "from 9:00 to 17:30", "from nine o'clock to seventeen thirty"),
    ("time", "Office hours 9.30-5.30.", "Office hours nine thirty to five thirty."),
    ("time", "We met at 10 p.m.", "We met at ten PM."),
    ("time", "We met at 10 p.m. Then we left.", "We met at ten PM. Then we left."),
    ("time", "at 3 P.M. sharp", "at three PM sharp"),
    ("time", "by 6:45am", "by six forty-five AM"),
    ("time", "at 23:59", "at twenty-three fifty-nine"),
    ("time", "at 13:00 hours", "at thirteen hundred hours"),
    ("time", "at 00:00", "at midnight"),
    ("time", "at 5:05 pm.", "at five oh five PM."),
    ("time", "It was 11:00 AM.", "It was eleven AM."),
    ("time", "The train at 6:00 was late.", "The train at six o'clock was late."),
    ("time", "The temperature was 7.25 degrees.", "The temperature was seven point two five degrees."),
    ("time", "He ran it in 2.35.", "He ran it in two point three five."),
    # --- dates ---
    ("date", "It was 2/10/1872 when he came.", "It was February tenth, eighteen seventy-two when he came."),
    ("date", "Born 10/06/2005 here.", "Born October sixth, two thousand five here."),
    ("date", "On 2016/07/03 we left.", "On July third, twenty sixteen we left."),
    ("date", "On 01.10.2010 they married.", "On the first of October, twenty ten they married."),
    ("date", "By 15-01-2020 it was done.", "By the fifteenth of January, twenty twenty it was done."),
    ("date", "due 31/12/1999", "due the thirty-first of December, nineteen ninety-nine"),
    ("date", "on 12/25/2019", "on December twenty-fifth, twenty nineteen"),
    ("date", "on 7/4/76", "on July fourth, seventy-six"),
    ("date", "On 2001-09-11 it began.", "On September eleventh, two thousand one it began."),
    ("date", "On july 25 2012 it rained.", "On July twenty-fifth, twenty twelve it rained."),
    ("date", "Jan 15 2020 was a Wednesday.", "January fifteenth, twenty twenty was a Wednesday."),
    ("date", "SEPT. 15 was the day.", "September fifteenth was the day."),
    ("date", "On 25 jul 2012 they met.", "On the twenty-fifth of July, twenty twelve they met."),
    ("date", "JANUARY 1, 1900", "January first, nineteen hundred"),
    ("date", "on March 3rd, 1861", "on March third, eighteen sixty-one"),
    ("date", "the 4th of July, 1776", "the fourth of July, seventeen seventy-six"),
    ("date", "Dec. 7, 1941", "December seventh, nineteen forty-one"),
    ("date", "Oct 12", "October twelfth"),
    ("date", "11 November 1918", "the eleventh of November, nineteen eighteen"),
    ("date", "in May 1940", "in May nineteen forty"),
    ("date", "You may 2 go.", "You may two go."),
    # --- old ordinals ---
    ("old ordinal", "On the 22d of May.", "On the twenty-second of May."),
    ("old ordinal", "On the 2d of October he sailed.", "On the second of October he sailed."),
    ("old ordinal", "the 3d regiment", "the third regiment"),
    ("old ordinal", "May 23d, 1862", "May twenty-third, eighteen sixty-two"),
    ("old ordinal", "your letter of the 2d inst.", "your letter of the second inst."),
    # --- pre-decimal British money ---
    ("lsd", "It cost £5 10s. 6d. in all.", "It cost five pounds, ten shillings and sixpence in all."),
    ("lsd", "It cost 5s. 6d. only.", "It cost five shillings and sixpence only."),
    ("lsd", "a fee of 6d.", "a fee of sixpence."),
    ("lsd", "He paid 2s. for it.", "He paid two shillings for it."),
    ("lsd", "£25 1s. 8½d.", "twenty-five pounds, one shilling and eightpence halfpenny."),
    ("lsd", "a loaf at 3d. each", "a loaf at threepence each"),
    ("lsd", "1d. a week", "a penny a week"),
    ("lsd", "£3 3s. a week", "three pounds and three shillings a week"),
    ("lsd", "It was 10s. 6d.", "It was ten shillings and sixpence."),
    # --- money ---
    (
        "money",
        "Prices range $250-$300 each.",
        "Prices range two hundred fifty to three hundred dollars each.",
    ),
    ("money", "He paid US$5 for it.", "He paid five US dollars for it."),
    ("money", "A loan of ¥30b was made.", "A loan of thirty billion yen was made."),
    ("money", "They raised ₩460 billion last year.", "They raised four hundred sixty billion won last year."),
    ("money", "It costs $20/mo for the service.", "It costs twenty dollars per month for the service."),
    ("money", "He earned $3.5m last year.", "He earned three point five million dollars last year."),
    (
        "money",
        "It cost $1.5e10 in total.",
        "It cost one point five times ten to the power of ten dollars in total.",
    ),
    ("money", "It was $3.50.", "It was three dollars fifty cents."),
    ("money", "It was $1.", "It was one dollar."),
    ("money", "a $5 bill", "a five dollar bill"),
    ("money", "£2.50 each", "two pounds fifty pence each"),
    ("money", "€1.01", "one euro one cent"),
    ("money", "it cost €15", "it cost fifteen euros"),
    ("money", "a budget of $2bn", "a budget of two billion dollars"),
    ("money", "$5k a year", "five thousand dollars a year"),
    ("money", "$10-20 million", "ten to twenty million dollars"),
    ("money", "₹500", "five hundred rupees"),
    ("money", "C$20", "twenty Canadian dollars"),
    ("money", "A$1.5 million", "one point five million Australian dollars"),
    ("money", "USD 50", "fifty US dollars"),
    ("money", "50 EUR", "fifty euros"),
    ("money", "100 CHF", "one hundred Swiss francs"),
    ("money", "$0.99", "ninety-nine cents"),
    ("money", "-$40", "minus forty dollars"),
    ("money", "$1,250,000", "one million two hundred fifty thousand dollars"),
    ("money", "₽300", "three hundred rubles"),
    ("money", "a few $ more", "a few dollars more"),
    ("money", "He earned 2bn more.", "He earned two billion more."),
    # --- measures ---
    ("measure", "It is 2.5cm long.", "It is two point five centimeters long."),
    ("measure", "It weighs -0.4kg now.", "It weighs minus zero point four kilograms now."),
    ("measure", "It weighs 12kg and 4 lbs.", "It weighs twelve kilograms and four pounds."),
    ("measure", "He bought 4 lbs. Then he left.", "He bought four pounds. Then he left."),
    ("measure", "He was 3 ft 6 in tall.", "He was three feet six inches tall."),
    ("measure", "He stood 6'2\" in his boots.", "He stood six feet two inches in his boots."),
    ("measure", "Lift 12KG daily.", "Lift twelve kilograms daily."),
    ("measure", "Drive at 50 km/h on the road.", "Drive at fifty kilometers per hour on the road."),
    ("measure", "a 100m sprint", "a one hundred meter sprint"),
    ("measure", "1 kg of flour", "one kilogram of flour"),
    ("measure", "a 5 km walk", "a five kilometer walk"),
    ("measure", "at 60 mph", "at sixty miles per hour"),
    ("measure", "12 in. long", "twelve inches long"),
    ("measure", "He arrived at 6 in the morning.", "He arrived at six in the morning."),
    ("measure", "a 2 TB disk", "a two terabyte disk"),
    ("measure", "500 ml of milk", "five hundred milliliters of milk"),
    ("measure", "9.8 m/s", "nine point eight meters per second"),
    ("measure", "a 40W bulb", "a forty watt bulb"),
    ("measure", "2.4 GHz", "two point four gigahertz"),
    ("measure", "10 st 4 lb", "ten st four pounds"),
    # --- temperature and degrees of arc ---
    ("degrees", "It was 1°C outside.", "It was one degree Celsius outside."),
    ("degrees", "It was -5°C.", "It was minus five degrees Celsius."),
    ("degrees", "a fever of 102.5 °F", "a fever of one hundred two point five degrees Fahrenheit"),
    (
        "degrees",
        "At lat. 40° 33′ N. we turned.",
        "At latitude forty degrees thirty-three minutes north we turned.",
    ),
    ("degrees", "long. 73° 58' W", "longitude seventy-three degrees fifty-eight minutes west"),
    ("degrees", "a 90° turn", "a ninety degrees turn"),
    ("degrees", "51° 30′ 26″ N", "fifty-one degrees thirty minutes twenty-six seconds north"),
    # --- fractions and slashes ---
    ("fraction", "Take 1/4th of the cake.", "Take one quarter of the cake."),
    ("fraction", "3/4 of the men", "three quarters of the men"),
    ("fraction", "1/2 a mile", "one half a mile"),
    ("fraction", "2 1/2 miles", "two and a half miles"),
    ("fraction", "It was 3½ miles away.", "It was three and a half miles away."),
    ("fraction", "2/3rds of it", "two thirds of it"),
    ("fraction", "5/8 inch", "five eighths inch"),
    ("slash", "and/or", "and or"),
    # --- abbreviations that end a sentence, symbols, invisible characters ---
    (
        "abbreviation",
        "He lived at 1428 Elm St. It was cold.",
        "He lived at fourteen twenty-eight Elm Street. It was cold.",
    ),
    ("abbreviation", "St. Paul was there.", "Saint Paul was there."),
    ("abbreviation", "We met in Baker St.", "We met in Baker Street."),
    ("abbreviation", "Dr. Watson came.", "Doctor Watson came."),
    ("abbreviation", "The house on Elm Dr. The end.", "The house on Elm Drive. The end."),
    ("symbol", "apple\u200bpie", "apple pie"),
    ("notation", "Put it in your 401(k) plan.", "Put it in your four oh one k plan."),
    ("notation", "He wrote 1-2=5 on the board.", "He wrote one minus two equals five on the board."),
    ("notation", "There are 10^40 atoms.", "There are ten to the power of forty atoms."),
    ("notation", "x is 3^2", "x is three squared"),
    ("notation", "2+2=4", "two plus two equals four"),
    ("notation", "6e23 molecules", "six times ten to the power of twenty-three molecules"),
    ("notation", "The ratio is 3:1.", "The ratio is three to one."),
    ("notation", "The room is 12 x 14 feet.", "The room is twelve by fourteen feet."),
    ("notation", "We need 24/7 support.", "We need twenty-four seven support."),
    ("notation", "A 50/50 chance.", "A fifty fifty chance."),
    ("money", "They sold 1.5M copies.", "They sold one point five million copies."),
    ("address", "She lives at 221B Baker Street.", "She lives at two twenty-one B Baker Street."),
    ("abbreviation", "See pp. 10-12.", "See pages ten to twelve."),
    ("abbreviation", "He bought 3 doz. eggs.", "He bought three dozen eggs."),
    (
        "telephone",
        "Her number is 020 7946 0958.",
        "Her number is zero two zero, seven nine four six, zero nine five eight.",
    ),
    ("date", "On 4/15 taxes are due.", "On April fifteenth taxes are due."),
    ("percent", "It was about 70-80%.", "It was about seventy to eighty percent."),
    ("percent", "a rise of 5% to 10%", "a rise of five to ten percent"),
    ("decade", "The 1990s-2000s boom.", "The nineteen nineties to two thousands boom."),
    (
        "abbreviation",
        "Rates of 3.5% p.a. were paid.",
        "Rates of three point five percent per annum were paid.",
    ),
    ("year", "It happened in 1066 AD.", "It happened in ten sixty-six AD."),
    ("year", "In 44 B.C. Caesar died.", "In forty-four BC Caesar died."),
    ("year", "In 300 BC the city fell.", "In three hundred BC the city fell."),
    # --- cardinals, decades, telephone, electronic (regressions kept) ---
    ("decade", "In the 1890s and the '60s.", "In the eighteen nineties and the sixties."),
    ("telephone", "Call 555-123-4567 now.", "Call five five five, one two three, four five six seven now."),
    ("electronic", "Email me at john@example.com today.", "Email me at john at example dot com today."),
    ("percent", "She scored 98.6% on it.", "She scored ninety-eight point six percent on it."),
    ("roman", "Henry VIII had six wives.", "Henry the Eighth had six wives."),
    # --- clock times with seconds, time zones, ranges of hours ---
    ("time", "The race ended at 2:45:10.", "The race ended at two hours forty-five minutes and ten seconds."),
    ("time", "The launch is at 9:30 a.m. EST.", "The launch is at nine thirty AM EST."),
    ("time", "We spoke at 4 p.m. GMT and then again.", "We spoke at four PM GMT and then again."),
    ("time", "at 14:00 UTC", "at fourteen hundred UTC"),
    ("time", "Open 10am-6pm on Sundays.", "Open ten AM to six PM on Sundays."),
    ("time", "from 9 to 5 p.m. daily", "from nine to five PM daily"),
    ("time", "the shift ran 11:30-7:30", "the shift ran eleven thirty to seven thirty"),
    # --- measures: squares, kitchens, before a noun, ranges, per ---
    ("measure", "an estate of 40 km² in all", "an estate of forty square kilometers in all"),
    ("measure", "a flat of 85 m2", "a flat of eighty-five square meters"),
    (
        "measure",
        "Add 2 tbsp of sugar and 1 tsp of salt.",
        "Add two tablespoons of sugar and one teaspoon of salt.",
    ),
    ("measure", "He carried a 20 kg pack.", "He carried a twenty kilogram pack."),
    ("measure", "the 400m hurdles", "the four hundred meter hurdles"),
    ("measure", "It weighed 3-4 kg.", "It weighed three to four kilograms."),
    ("measure", "from 10 to 12 km", "from ten to twelve kilometers"),
    ("measure", "some 2 million km of road", "some two million kilometers of road"),
    ("measure", "a density of 30 people/km2", "a density of thirty people per square kilometer"),
    ("measure", "It costs 5/kg at market.", "It costs five per kilogram at market."),
    ("measure", "It took 4 1/2 lbs of flour.", "It took four and a half pounds of flour."),
    ("measure", "a 100 Mbps line", "a one hundred megabit per second line"),
    ("measure", "The tyre was at 32 psi.", "The tyre was at thirty-two pounds per square inch."),
    ("measure", "a zoom of 4.5x", "a zoom of four point five x"),
    # --- money: cents, ranges with cents, before a noun ---
    ("money", "It was $19.99 at the shop.", "It was nineteen dollars ninety-nine cents at the shop."),
    ("money", "from $1.50 to $2.25", "from one dollar fifty cents to two dollars twenty-five cents"),
    ("money", "He found a $20 note.", "He found a twenty dollar note."),
    ("money", "They raised $.05 a share.", "They raised five cents a share."),
    ("money", "£3.5 billion", "three point five billion pounds"),
    # --- addresses ---
    ("address", "They lived at 742 Maple Avenue.", "They lived at seven forty-two Maple Avenue."),
    (
        "address",
        "Write to 1600 Elm Rd, Springfield, IL 62704.",
        "Write to sixteen hundred Elm Road, Springfield, Illinois six two seven zero four.",
    ),
    ("address", "the house at 31 W Oak St", "the house at thirty-one West Oak Street"),
    ("address", "at 305 Old Mill Ln, Dover", "at three oh five Old Mill Lane, Dover"),
    ("address", "on 5 Church St. He stopped.", "on five Church Street. He stopped."),
    # --- letters ---
    ("letters", "He worked for the BBC for years.", "He worked for the BBC for years."),
    ("letters", "an FBI agent", "an FBI agent"),
    ("letters", "She came back from the U.S. last spring.", "She came back from the US last spring."),
    ("letters", "He left for the U.S. It was cold.", "He left for the US. It was cold."),
    ("letters", "a Ph.D. in history", "a PhD in history"),
    ("letters", "She owned 300 DVDs.", "She owned three hundred DVDs."),
    ("letters", "NASA sent it, and NATO agreed.", "NASA sent it, and NATO agreed."),
    ("letters", "He shouted NEVER at them.", "He shouted NEVER at them."),
    ("letters", "HMM, he said.", "HMM, he said."),
    # --- telephone, electronic, digits ---
    (
        "telephone",
        "Call 212.555.0187 today.",
        "Call two one two, five five five, zero one eight seven today.",
    ),
    (
        "telephone",
        "Dial 1-800-555-0123 now.",
        "Dial one, eight hundred, five five five, zero one two three now.",
    ),
    (
        "telephone",
        "His number was 078-05-1120.",
        "His number was zero seven eight, zero five, one one two zero.",
    ),
    ("telephone", "Call 911 at once.", "Call nine one one at once."),
    (
        "telephone",
        "Ring +44 7700 900461.",
        "Ring plus four four, seven seven zero zero, nine zero zero four six one.",
    ),
    ("digits", "the card ending in 4412", "the card ending in four four one two"),
    ("digits", "Her PIN was 0412.", "Her PIN was zero four one two."),
    ("digits", "the zip code 10001", "the zip code one zero zero zero one"),
    ("digits", "server 10.0.0.254", "server one zero dot zero dot zero dot two five four"),
    ("electronic", "See wikipedia.org for more.", "See wikipedia dot org for more."),
    ("electronic", "Go to example.com/help now.", "Go to example dot com slash help now."),
    ("electronic", "Write to tom42@mail.com.", "Write to tom four two at mail dot com."),
    ("electronic", "The tag #spring trended.", "The tag hash spring trended."),
    # --- cardinals, years, fractions, powers ---
    ("cardinal", "A crowd of 45 000 came.", "A crowd of forty-five thousand came."),
    (
        "cardinal",
        "about 1,200,000,000,000,000,000 grains",
        "about one quintillion two hundred quadrillion grains",
    ),
    ("year", "It was 2012.", "It was twenty twelve."),
    ("year", "AD 43", "AD forty-three"),
    ("year", "the 1960 s", "the nineteen sixties"),
    ("date", "On 17 may 2010 she left.", "On the seventeenth of May, twenty ten she left."),
    ("date", "Due Feb-28-2021.", "Due February twenty-eighth, twenty twenty-one."),
    ("fraction", "3 1/3 cups", "three and a third cups"),
    ("fraction", "the 5/16 bolt", "the five sixteenths bolt"),
    ("fraction", "1/1000", "one one thousandth"),
    ("notation", "the area is 5²", "the area is five squared"),
    ("notation", "a volume of 2³", "a volume of two cubed"),
    ("notation", "scores of 40/45/50", "scores of forty slash forty-five slash fifty"),
]

# --- systematic sweeps: readings written out here, independent of the code under test ---------------------
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = {20: "twenty", 30: "thirty", 40: "forty", 50: "fifty"}
_ORD = [
    "",
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty-first",
    "twenty-second",
    "twenty-third",
    "twenty-fourth",
    "twenty-fifth",
    "twenty-sixth",
    "twenty-seventh",
    "twenty-eighth",
]
_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def _say(n: int) -> str:
    if n < 20:
        return _ONES[n]
    t, o = divmod(n, 10)
    return _TENS[t * 10] + (f"-{_ONES[o]}" if o else "")


SWEEP: list[tuple[str, str, str]] = []
for h in range(1, 13):  # every hour, a.m. and p.m., dotted and colon
    for mins, said in ((0, ""), (5, " oh five"), (15, " fifteen"), (45, " forty-five")):
        SWEEP.append(("time", f"at {h}:{mins:02d} pm", f"at {_say(h)}{said} PM"))
        if mins:
            SWEEP.append(("time", f"at {h}.{mins:02d} a.m., and", f"at {_say(h)}{said} AM, and"))
for i, month in enumerate(_MONTHS, 1):  # every month: abbreviated, lower case, numeric
    day = (i * 2) % 28 + 1
    SWEEP.append(("date", f"on {month[:3]} {day}", f"on {month} {_ORD[day]}"))
    SWEEP.append(("date", f"on {month.lower()} {day}, 1905", f"on {month} {_ORD[day]}, nineteen oh five"))
    SWEEP.append(
        ("date", f"on {day} {month.upper()} 1914", f"on the {_ORD[day]} of {month}, nineteen fourteen")
    )
    SWEEP.append(("date", f"on {i}/{day}/1999", f"on {month} {_ORD[day]}, nineteen ninety-nine"))
    SWEEP.append(
        ("date", f"on {day:02d}.{i:02d}.1988", f"on the {_ORD[day]} of {month}, nineteen eighty-eight")
    )
UNITS = {
    "mm": ("millimeter", "millimeters"),
    "cm": ("centimeter", "centimeters"),
    "km": ("kilometer", "kilometers"),
    "kg": ("kilogram", "kilograms"),
    "mg": ("milligram", "milligrams"),
    "ml": ("milliliter", "milliliters"),
    "lb": ("pound", "pounds"),
    "lbs": ("pound", "pounds"),
    "oz": ("ounce", "ounces"),
    "ft": ("foot", "feet"),
    "yd": ("yard", "yards"),
    "mi": ("mile", "miles"),
    "mph": ("mile per hour", "miles per hour"),
    "km/h": ("kilometer per hour", "kilometers per hour"),
    "gal": ("gallon", "gallons"),
    "GB": ("gigabyte", "gigabytes"),
    "MB": ("megabyte", "megabytes"),
    "KB": ("kilobyte", "kilobytes"),
    "MHz": ("megahertz", "megahertz"),
    "kW": ("kilowatt", "kilowatts"),
    "hrs": ("hour", "hours"),
    "mins": ("minute", "minutes"),
    "ms": ("millisecond", "milliseconds"),
    "ha": ("hectare", "hectares"),
}
for unit, (one, many) in UNITS.items():  # every unit: spaced, glued, one and many, decimals
    SWEEP.append(("measure", f"about 1 {unit} more", f"about one {one} more"))
    SWEEP.append(("measure", f"about 7{unit} more", f"about seven {many} more"))
    SWEEP.append(("measure", f"about 2.5 {unit}.", f"about two point five {many}."))
for caps, _one, many in (
    ("KG", "kilogram", "kilograms"),
    ("KM", "kilometer", "kilometers"),
    ("CM", "centimeter", "centimeters"),
    ("LBS", "pound", "pounds"),
    ("MPH", "mile per hour", "miles per hour"),
):
    SWEEP.append(("measure", f"only 15{caps} left", f"only fifteen {many} left"))
CURRENCIES = {
    "$": ("dollar", "dollars"),
    "£": ("pound", "pounds"),
    "€": ("euro", "euros"),
    "¥": ("yen", "yen"),
    "₩": ("won", "won"),
    "₹": ("rupee", "rupees"),
    "₽": ("ruble", "rubles"),
    "₪": ("shekel", "shekels"),
    "₦": ("naira", "naira"),
    "₱": ("peso", "pesos"),
}
for sign, (one, many) in CURRENCIES.items():  # every currency: one, many, scales, ranges
    SWEEP.append(("money", f"just {sign}1 now", f"just one {one} now"))
    SWEEP.append(("money", f"just {sign}12 now", f"just twelve {many} now"))
    SWEEP.append(("money", f"a {sign}3m deal", f"a three million {one} deal"))  # before its noun: singular
    SWEEP.append(("money", f"a {sign}4 billion deal", f"a four billion {one} deal"))
    SWEEP.append(("money", f"it cost {sign}3m in all", f"it cost three million {many} in all"))
    SWEEP.append(("money", f"from {sign}5-{sign}9", f"from five to nine {many}"))
for code, (_one, many) in {
    "USD": ("US dollar", "US dollars"),
    "EUR": ("euro", "euros"),
    "GBP": ("pound", "pounds"),
    "JPY": ("yen", "yen"),
    "CAD": ("Canadian dollar", "Canadian dollars"),
}.items():
    SWEEP.append(("money", f"{code} 30", f"thirty {many}"))
    SWEEP.append(("money", f"30 {code}", f"thirty {many}"))
for temp in (0, 3, 15, 37, 40):
    SWEEP.append(("degrees", f"{temp}°C", f"{_say(temp)} degrees Celsius"))
    SWEEP.append(("degrees", f"{temp} °F", f"{_say(temp)} degrees Fahrenheit"))
for n in (2, 3, 22, 23, 32, 43):
    word = {
        2: "second",
        3: "third",
        22: "twenty-second",
        23: "twenty-third",
        32: "thirty-second",
        43: "forty-third",
    }[n]
    SWEEP.append(("old ordinal", f"the {n}d of June", f"the {word} of June"))
for s_, said in (
    (1, "one shilling"),
    (2, "two shillings"),
    (5, "five shillings"),
    (19, "nineteen shillings"),
):
    SWEEP.append(("lsd", f"paid {s_}s. for it", f"paid {said} for it"))
for p_, said in ((2, "twopence"), (4, "fourpence"), (9, "ninepence"), (11, "elevenpence")):
    SWEEP.append(("lsd", f"paid {p_}d. for it", f"paid {said} for it"))

CASES = HAND + SWEEP


def test_the_table_is_broad():
    assert len(CASES) >= 400
    assert {c for c, _, _ in CASES} >= {
        "time",
        "date",
        "money",
        "measure",
        "degrees",
        "lsd",
        "old ordinal",
        "fraction",
        "notation",
        "abbreviation",
    }


@pytest.mark.parametrize("category,text,expected", CASES, ids=[f"{c}:{t[:40]}" for c, t, _ in CASES])
def test_narrator_reading(category, text, expected):
    out = normalize(text)
    assert out == expected
    assert set(out) <= SPEAKABLE and not any(ch.isdigit() for ch in out)


def test_the_command_line_reads_them_too():
    sample = [t for _, t, _ in HAND[:40]]
    proc = run_cli("--normalize", "-", input="\n\n".join(sample) + "\n")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [e for _, _, e in HAND[:40]]


def test_explain_names_the_rule_for_each_rewrite():
    proc = run_cli(
        "--normalize", "-", "--explain", input="At 8.45 p.m. he paid £5 10s. 6d. for 4 lbs. of tea.\n"
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert (
        "At eight forty-five PM he paid five pounds, ten shillings and sixpence for four pounds of tea."
        in out
    )
    assert "time" in out and "pre-decimal British money" in out and "measure" in out
    assert "8.45 p.m." in out and "£5 10s. 6d." in out


def test_the_readme_category_table_is_true():
    """Every example in the README's table of categories is read as the table says."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[
        readme.index("### What it reads, and how") : readme.index("Conventions, where a reading")
    ]
    rows = [r for r in section.splitlines() if r.startswith("| ") and "`" in r]
    assert len(rows) >= 15
    for row in rows:
        _, written, read, _ = row.split(" | ", 1)[0], *row.split(" | ")[1:3], None
        examples = [e for e in re.findall(r"`([^`]+)`", written) if e != "NASA"]
        said = re.sub(r"[^a-z ]", " ", read.lower())
        for example in examples:
            out = re.sub(r"[^a-z ]", " ", normalize(example).lower())
            assert " ".join(out.split()) in " ".join(said.split()), (example, normalize(example), read)
