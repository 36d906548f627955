"""The normalization table: input -> what the engine reads, every category of the English front end."""

from __future__ import annotations

import pytest

from pipeline.normalize import SPEAKABLE, Lexicon, normalize

CASES = [
    # --- cardinals, separators, decimals, negatives ---
    ("cardinal", "I have 3 apples.", "I have three apples."),
    ("cardinal", "There were 42 of them.", "There were forty-two of them."),
    ("cardinal", "It weighs 105 grams.", "It weighs one hundred five grams."),
    ("cardinal", "0", "zero"),
    ("cardinal", "He counted to 1000.", "He counted to one thousand."),
    ("separator", "1,000 men", "one thousand men"),
    (
        "separator",
        "1,234,567 stars",
        "one million two hundred thirty-four thousand five hundred sixty-seven stars",
    ),
    ("separator", "A crowd of 12,500 people.", "A crowd of twelve thousand five hundred people."),
    ("decimal", "Pi is 3.14.", "Pi is three point one four."),
    ("decimal", "It was 0.5 meters.", "It was zero point five meters."),
    ("decimal", "Add .5 of it.", "Add point five of it."),
    ("decimal", "1,234.56", "one thousand two hundred thirty-four point five six"),
    ("negative", "It was -5 outside.", "It was minus five outside."),
    ("negative", "The score fell to -3.25.", "The score fell to minus three point two five."),
    ("negative", "-12", "minus twelve"),
    # --- ordinals ---
    ("ordinal", "the 21st century", "the twenty-first century"),
    ("ordinal", "his 2nd try", "his second try"),
    ("ordinal", "the 3rd man", "the third man"),
    ("ordinal", "the 100th time", "the one hundredth time"),
    ("ordinal", "the 1st of them", "the first of them"),
    ("ordinal", "the 11th hour", "the eleventh hour"),
    ("ordinal", "the 112th Regiment", "the one hundred twelfth Regiment"),
    # --- years ---
    ("year", "In 1859 he sailed.", "In eighteen fifty-nine he sailed."),
    ("year", "since 1900", "since nineteen hundred"),
    ("year", "in 2005", "in two thousand five"),
    ("year", "by 2019", "by twenty nineteen"),
    ("year", "in 1905", "in nineteen oh five"),
    ("year", "from 1066", "from ten sixty-six"),
    ("year", "the summer of 1920", "the summer of nineteen twenty"),
    ("year", "before 1800 things were slow", "before eighteen hundred things were slow"),
    ("year", "AD 1492", "AD fourteen ninety-two"),
    ("year", "1066 AD", "ten sixty-six AD"),  # the era as letters, as a narrator says it
    ("year", "London, 1920.", "London, nineteen twenty."),
    ("year", "about 1750 or so", "about seventeen fifty or so"),
    (
        "year-not",
        "He paid 1859 pounds for it.",
        "He paid one thousand eight hundred fifty-nine pounds for it.",
    ),
    # --- decades ---
    ("decade", "the 1920s", "the nineteen twenties"),
    ("decade", "in the 1900s", "in the nineteen hundreds"),
    ("decade", "the '90s", "the nineties"),
    ("decade", "the ’60s", "the sixties"),
    ("decade", "the 2000s", "the two thousands"),
    ("decade", "the 1850s and 1860s", "the eighteen fifties and eighteen sixties"),
    ("decade", "in her 30s", "in her thirties"),
    # --- ranges ---
    ("range", "1914-1918", "nineteen fourteen to nineteen eighteen"),
    ("range", "pages 10-12", "pages ten to twelve"),
    ("range", "the years 1939–1945", "the years nineteen thirty-nine to nineteen forty-five"),
    ("range", "1914-18", "nineteen fourteen to nineteen eighteen"),
    ("range", "ages 5 - 7", "ages five to seven"),
    ("range", "chapters 3–5", "chapters three to five"),
    # --- currency ---
    ("currency", "$3.50", "three dollars fifty cents"),
    ("currency", "It cost $1.", "It cost one dollar."),
    ("currency", "$0.99", "ninety-nine cents"),
    ("currency", "$3.5 million", "three point five million dollars"),
    ("currency", "$2 billion", "two billion dollars"),
    ("currency", "£5", "five pounds"),
    ("currency", "£5.20", "five pounds twenty pence"),
    ("currency", "£1.01", "one pound one penny"),
    ("currency", "€3", "three euros"),
    ("currency", "€10.50", "ten euros fifty cents"),
    ("currency", "$1,000,000", "one million dollars"),
    ("currency", "¥500", "five hundred yen"),
    ("currency", "He lost $20.", "He lost twenty dollars."),
    # --- percentages ---
    ("percent", "5%", "five percent"),
    ("percent", "12.5% of it", "twelve point five percent of it"),
    ("percent", "100 %", "one hundred percent"),
    ("percent", "50 per cent", "fifty percent"),
    ("percent", "a 3% rise", "a three percent rise"),
    # --- times ---
    ("time", "3:30 p.m.", "three thirty PM."),
    ("time", "At 3:30 p.m. he left.", "At three thirty PM he left."),
    ("time", "at 10:05", "at ten oh five"),
    ("time", "at 3:00", "at three o'clock"),
    ("time", "It was 3 p.m. He left.", "It was three PM. He left."),
    ("time", "7am", "seven AM"),
    ("time", "at 11 PM", "at eleven PM"),
    ("time", "the 12:15 train", "the twelve fifteen train"),
    ("time", "18:00 hours", "eighteen hundred hours"),
    # --- dates ---
    ("date", "3 May 1859", "the third of May, eighteen fifty-nine"),
    ("date", "May 3, 1859", "May third, eighteen fifty-nine"),
    ("date", "on the 4th of July", "on the fourth of July"),
    ("date", "1859-05-03", "May third, eighteen fifty-nine"),
    ("date", "June 1944", "June nineteen forty-four"),
    ("date", "December 25th", "December twenty-fifth"),
    ("date", "Jan. 1, 2000", "January first, two thousand"),
    ("date", "On 14 July 1789 it fell.", "On the fourteenth of July, seventeen eighty-nine it fell."),
    # --- fractions ---
    ("fraction", "1/2", "one half"),
    ("fraction", "3/4 of it", "three quarters of it"),
    ("fraction", "2/3", "two thirds"),
    ("fraction", "1/8", "one eighth"),
    ("fraction", "5/8 inch", "five eighths inch"),
    ("fraction", "2 1/2 pies", "two and a half pies"),
    ("fraction", "½", "one half"),
    ("fraction", "1½ hours", "one and a half hours"),
    ("fraction", "¾", "three quarters"),
    # --- digit strings ---
    ("digits", "Call 555-123-4567.", "Call five five five, one two three, four five six seven."),
    ("digits", "Call (555) 123-4567.", "Call five five five, one two three, four five six seven."),
    ("digits", "Dial 555-1234.", "Dial five five five, one two three four."),
    ("digits", "+44 20 7946 0958", "plus four four, two zero, seven nine four six, zero nine five eight"),
    ("digits", "code 0451", "code zero four five one"),
    (
        "digits",
        "ISBN 978-0-14-044913-6",
        "ISBN nine seven eight, zero, one four, zero four four nine one three, six",
    ),
    (
        "digits",
        "card 4111111111111111111",
        "card four one one one one one one one one one one one one one one one one one one",
    ),
    ("digits", "version 1.2.3", "version one dot two dot three"),
    ("digits", "IP 192.168.0.1", "IP one nine two dot one six eight dot zero dot one"),
    ("digits", "007", "zero zero seven"),
    # --- Roman numerals ---
    ("roman", "Chapter IV", "Chapter Four"),
    ("roman", "CHAPTER XII", "CHAPTER Twelve"),
    ("roman", "Part II", "Part Two"),
    ("roman", "Book III of the series", "Book Three of the series"),
    ("roman", "Act III, Scene ii", "Act Three, Scene Two"),
    ("roman", "chapter iv", "chapter four"),
    ("roman", "World War II", "World War Two"),
    ("roman", "Henry VIII", "Henry the Eighth"),
    ("roman", "Louis XIV was king.", "Louis the Fourteenth was king."),
    ("roman", "Pope Pius XII", "Pope Pius the Twelfth"),
    ("roman", "Elizabeth I.", "Elizabeth the First."),
    ("roman", "George III and George IV", "George the Third and George the Fourth"),
    ("roman-not", "Then I went home.", "Then I went home."),
    ("roman-not", "I think I can.", "I think I can."),
    ("roman-not", "Elizabeth I said no.", "Elizabeth I said no."),
    ("roman-not", "the day I met her", "the day I met her"),
    ("roman-not", "Did I? Yes, I did.", "Did I? Yes, I did."),
    ("roman-not", "a civil mix", "a civil mix"),
    # --- abbreviations ---
    ("abbr", "Mr. Smith", "Mister Smith"),
    ("abbr", "Mrs. Medley said", "Missus Medley said"),
    ("abbr", "Dr. Watson", "Doctor Watson"),
    ("abbr", "St. Paul", "Saint Paul"),
    ("abbr", "Baker St.", "Baker Street."),
    ("abbr", "He lived in Baker St. with Holmes.", "He lived in Baker Street with Holmes."),
    (
        "abbr",
        "the church of St. Mary on Fleet St. was old",
        "the church of Saint Mary on Fleet Street was old",
    ),
    ("abbr", "Mulholland Dr. is long", "Mulholland Drive is long"),
    ("abbr", "fruit, e.g. apples", "fruit, for example apples"),
    ("abbr", "the one, i.e. this", "the one, that is this"),
    ("abbr", "apples, pears, etc.", "apples, pears, et cetera."),
    ("abbr", "apples, etc. and more", "apples, et cetera and more"),
    ("abbr", "cats vs. dogs", "cats versus dogs"),
    ("abbr", "No. 5", "Number five"),
    ("abbr", "No. I will not.", "No. I will not."),
    ("abbr", "Capt. Hook and Col. Mustard", "Captain Hook and Colonel Mustard"),
    ("abbr", "Smith & Co.", "Smith and Company."),
    ("abbr", "Prof. Jones", "Professor Jones"),
    ("abbr", "5 ft. tall", "five feet tall"),
    ("abbr", "Martin Luther King Jr.", "Martin Luther King Junior."),
    # --- symbols ---
    ("symbol", "Bob & Alice", "Bob and Alice"),
    ("symbol", "me @ home", "me at home"),
    ("symbol", "2 + 2 = 4", "two plus two equals four"),
    ("symbol", "It was 40°F.", "It was forty degrees Fahrenheit."),
    ("symbol", "20 °C", "twenty degrees Celsius"),
    ("symbol", "90°", "ninety degrees"),
    ("symbol", "and/or", "and or"),
    ("symbol", "his/her", "his or her"),
    ("symbol", "§ 4", "section four"),
    ("symbol", "#1 fan", "number one fan"),
    ("symbol", "3 × 4", "three times four"),
    # --- URLs and e-mail ---
    (
        "url",
        "see https://www.example.com/path.",
        "see HTTPS colon slash slash WWW dot example dot com slash path.",
    ),
    ("url", "visit www.gutenberg.org today", "visit WWW dot gutenberg dot org today"),
    ("url", "http://example.org", "HTTP colon slash slash example dot org"),
    ("email", "mail jane.doe@example.com now", "mail jane dot doe at example dot com now"),
    ("email", "bob@mail.co.uk.", "bob at mail dot co dot uk."),
    # --- quotes ---
    ("quotes", "“Hello,” she said.", '"Hello," she said.'),
    ("quotes", "‘Hello,’ she said, ‘don’t go.’", '"Hello," she said, "don\'t go."'),
    ("quotes", "'Is it?' he asked.", '"Is it?" he asked.'),
    ("quotes", "'I say, Garnet,' he said.", '"I say, Garnet," he said.'),
    ("quotes", "‘He said “no” to me,’ she said.", '"He said no to me," she said.'),
    ("quotes", "“What is a ‘creature,’ Miss Derrick?”", '"What is a creature, Miss Derrick?"'),
    ("quotes", "“Pamela is a ‘creature,’ ” she replied.", '"Pamela is a creature," she replied.'),
    ("quotes", "“ ‘Hullo, puss,’ I says.", '"Hullo, puss, I says."'),
    ("apostrophe", "don't", "don't"),
    ("apostrophe", "rock 'n' roll", "rock 'n' roll"),
    ("apostrophe", "the students' books", "the students' books"),
    ("apostrophe", "O'Brien", "O'Brien"),
    ("apostrophe", "He was goin' home.", "He was goin' home."),
    ("apostrophe", "'Tis true.", "'Tis true."),
    ("apostrophe", "It’s Jim’s.", "It's Jim's."),
    ("apostrophe", "‘I can’t,’ said O’Brien.", "\"I can't,\" said O'Brien."),
    ("unbalanced", "“Unbalanced quote here.", '"Unbalanced quote here."'),
    ("unbalanced", "and then he left.”", '"and then he left."'),
    ("unbalanced", "“Yes,” he said. “And", '"Yes," he said. "And"'),
    ("unbalanced", "‘Come here, come here!", '"Come here, come here!"'),
    ("unbalanced", "He said ” oddly", "He said oddly"),
    # --- dashes and ellipses ---
    ("dash", "Wait—what?", "Wait, what?"),
    ("dash", "Wait — what?", "Wait, what?"),
    ("dash", "yes--no", "yes, no"),
    ("dash", "Dear Bill—", "Dear Bill."),
    ("dash", "—A. B.", "A. B."),
    ("dash", "a well-known man", "a well-known man"),
    ("dash", "He - then - left.", "He, then, left."),
    ("ellipsis", "Well… maybe.", "Well, maybe."),
    ("ellipsis", "I . . . I don't know.", "I, I don't know."),
    ("ellipsis", "And then...", "And then."),
    ("ellipsis", "Wait... what?", "Wait, what?"),
    # --- unicode ---
    ("unicode", "ﬁne ﬂowers", "fine flowers"),
    ("unicode", "Manœuvres", "Manoeuvres"),
    ("unicode", "café naïve", "cafe naive"),
    ("unicode", "straße", "strasse"),
    ("unicode", "soft\u00adhyphen", "softhyphen"),
    ("unicode", "zero\u200bwidth", "zero width"),  # a zero-width space separates words
    ("unicode", "ｆｕｌｌ ｗｉｄｔｈ", "full width"),
    ("unicode", "Greek “ᾍδης”", 'Greek "Ades"'),
    ("unicode", "Москва", "Moskva"),
    ("unicode", "a\u00a0b", "a b"),
    ("unicode", "snow ☃ man", "snow man"),
    # --- whitespace ---
    ("space", "  lots   of\t\tspace  ", "lots of space"),
    ("space", "line\nbreak", "line break"),
    ("space", "word , word", "word, word"),
    ("space", "Really ?!", "Really?"),
    # --- headings ---
]
HEADINGS = [
    ("IV: The Arrival", "Four: The Arrival"),
    ("I: A Letter with a Postscript", "One: A Letter with a Postscript"),
    ("XII. The Return", "Twelve. The Return"),
    ("XXIII", "Twenty-Three"),
    ("I", "I"),  # a dictionary's letter I, not chapter one
    ("X", "X"),
    ("Chapter IX", "Chapter Nine"),
    ("II: Mr. and Mrs. S. F. Ukridge", "Two: Mister and Missus SF Ukridge"),
]


def test_the_table_is_big_and_covers_every_category():
    assert len(CASES) + len(HEADINGS) >= 150
    cats = {c.split("-")[0] for c, _, _ in CASES}
    assert {
        "cardinal",
        "separator",
        "decimal",
        "negative",
        "ordinal",
        "year",
        "decade",
        "range",
        "currency",
        "percent",
        "time",
        "date",
        "fraction",
        "digits",
        "roman",
        "abbr",
        "symbol",
        "url",
        "email",
        "quotes",
        "apostrophe",
        "unbalanced",
        "dash",
        "ellipsis",
        "unicode",
        "space",
    } <= cats


@pytest.mark.parametrize("category,text,expected", CASES, ids=[f"{c}:{t[:30]}" for c, t, _ in CASES])
def test_normalize(category, text, expected):
    out = normalize(text)
    assert out == expected
    assert set(out) <= SPEAKABLE


@pytest.mark.parametrize("text,expected", HEADINGS)
def test_headings(text, expected):
    assert normalize(text, heading=True) == expected


def test_lexicon_is_whole_word_and_case_aware():
    lex = Lexicon()
    lex.update({"Ukridge": "Yook-ridge", "gaol": "jail", "NATO": "Nay-toe"})
    assert normalize("Ukridge and ukridge", lex) == "Yook-ridge and ukridge"  # a capital key: exact case
    assert (
        normalize("Gaol, GAOL and gaoler", lex) == "jail, jail and gaoler"
    )  # lower key: any case, whole word
    assert normalize("NATO and Nato", lex) == "Nay-toe and Nato"
    assert normalize("Ukridge's hat", lex) == "Yook-ridge's hat"


def test_bundled_and_extra_lexicon(tmp_path):
    from pipeline.errors import ConfigError
    from pipeline.normalize import load_lexicon

    extra = tmp_path / "book.toml"
    extra.write_text('[words]\n"Garnet" = "Gar-nit"\n"Ukridge" = "Uke-ridge"\n', encoding="utf-8")
    lex = load_lexicon([extra])
    assert normalize("Garnet met Ukridge and Wodehouse.", lex) == "Gar-nit met Uke-ridge and Wood-house."
    bad = tmp_path / "bad.toml"
    bad.write_text("[words]\nx = 3\n", encoding="utf-8")
    with pytest.raises(ConfigError):
        load_lexicon([bad])
    with pytest.raises(ConfigError):
        load_lexicon([tmp_path / "missing.toml"])
