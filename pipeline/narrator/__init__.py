"""The narrator's pass: what a person does around a render rather than in it.

`takes` (`render --retake`: a new take of one segment, spliced into its chapter), `sample` (`render --sample`:
the first seconds of each book), `voices` (`render --voices`), `words` (`render words`: the words an engine
has to guess, as a lexicon to fill in and a page to listen to).
"""
