# %% [markdown]
# # Overview: the data, their provenance, and what the UN, NATO and OSCE do
#
# This notebook describes what `pkoresearch` bundles: which curated tables exist, which years they
# cover, where every figure comes from and how sure we are of it. It ends with the comparison of the
# UN, NATO and OSCE made in the 2011 US State Department Trafficking in Persons report, the document
# the project grew from.
#
# Change the parameters in the next cell (or pass them with papermill / `pkoresearch run`) and
# re-run everything.

# %% tags=["parameters"]
# Parameters (papermill injects overrides after this cell)
# fmt: off
dataset_names: "Optional[list]" = None  # curated datasets to describe; None for all bundled datasets
start_year: int = 1992  # first year shown in the coverage table and figure
end_year: int = 2025  # last year shown in the coverage table and figure
preferred_only: bool = True  # True: one value per figure where sources disagree; False: every revision
output_dir: str = ""  # folder for figures and results.json; "" means reports/00_overview
# fmt: on

# %%
import matplotlib.pyplot as plt

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch.analysis import overview
from pkoresearch.figures import plots, tables

names = nb.subset("dataset_names", dataset_names, pko.curated.SPECS)
start_year, end_year = nb.year_range(start_year, end_year)
preferred_only = nb.choice("preferred_only", preferred_only, [True, False])
out = nb.output_dir(output_dir, "00_overview")
nb.display_options()

# %% [markdown]
# ## Counting caveats
#
# Read these before using any number below or in the other notebooks.

# %%
for name, text in overview.CAVEATS:
    print(nb.wrap(f"- {tables.category(name)}: {text}", indent="  "))

# %% [markdown]
# ## What is bundled
#
# One row per curated table: how many sourced figures it holds (`rows`), how many remain when only the
# preferred value of each disputed figure is kept, the years covered and the number of distinct sources.

# %%
catalogue = pko.datasets().set_index("dataset").loc[names].reset_index()
pko.results.record("datasets", len(catalogue), unit="count")
pko.results.record("curated_rows", int(catalogue["rows"].sum()), unit="count")
tables.for_display(
    catalogue[["dataset", "rows", "preferred_rows", "first_year", "last_year", "sources"]]
)

# %% [markdown]
# ## Coverage by year
#
# Sourced figures per dataset and year. Gaps are real: no confirmed totals for 2005-2006, no breakdowns
# for 2007-2009, 2011 and 2013, exact women counts only for Nov 2009 - Feb 2014 and Jan 2021.

# %%
coverage = overview.coverage_table(names, start_year, end_year, preferred=preferred_only)
fig, ax = plt.subplots(figsize=(12, 4))
plots.heatmap(
    coverage.assign(dataset=coverage["dataset"].str.replace("_", " ")),
    x="year",
    y="dataset",
    value="rows",
    annot=True,  # the number in each cell: readable where one dataset's many rows set the colours
    label="sourced figures (rows)",
    ax=ax,
    title=f"Sourced figures per year, {start_year}-{end_year}",
    source="the curated tables bundled in data/ (every row names its source; listed at the end)",
)
_ = plots.save(fig, out / "coverage.png", show=True)  # the files written

# %%
years_with_data = coverage.groupby("dataset")["year"].agg(["min", "max", "nunique"])
years_with_data.columns = ["first_year", "last_year", "years_with_data"]
tables.for_display(years_with_data)

# %% [markdown]
# ## Provenance and confidence
#
# Every row carries `source_id`, `locator` and `confidence`. `high`: read in the publisher's own text
# or data file; `medium`: a secondary source quoting the UN (or an uploaded copy of the document);
# `low`: weak, derived or unconfirmed, or read only on a copy page (a mirror or spam copy of someone
# else's article). Confidence is shown dataset by dataset: one share over all rows would be driven by
# the 2,106 personnel-by-country rows of the UN gender statistics, while the headline allegation
# counts are mostly `medium`.

# %%
confidence = overview.confidence_table(names, preferred=preferred_only)
fig, ax = plt.subplots(figsize=(7, 3.6))
plots.confidence_bars(
    confidence,
    ax=ax,
    title="Confidence of the sourced figures, share of each dataset's rows",
    source="the curated tables bundled in data/ (every row names its source; listed at the end)",
)
plots.save(fig, out / "confidence.png", show=True)
by_dataset = overview.confidence_by_dataset(names, preferred=preferred_only)
pko.results.record(
    "share_high_confidence_by_dataset",
    {r.dataset: round(float(r.share_high), 4) for r in by_dataset.itertuples()},
    unit="share",
)
tables.for_display(by_dataset.round(3))

# %% [markdown]
# ### Where the figures come from
#
# `sources.csv` holds one record per cited document. `type` says what the document is
# (`un_document`, `un_data`, `un_news`, `government_report` are official publications; `academic`,
# `ngo_report`, `press_agency`, `newspaper`, `web_mirror` are secondary). A UN document is cited by its
# `document_symbol` with its `official_url` in the UN Official Documents System; where the figure was
# read on another page (a news story quoting the report), that page is the `via_url`, with its
# `via_type`. The preferred value of a figure never rests on a `web_mirror` where another source gives
# it. Below: the records cited by the tables shown, by type.

# %%
frames = [pko.load(n, preferred=preferred_only) for n in names]
by_type = overview.sources_by_type(frames)
pko.results.record(
    "sources_by_type", dict(zip(by_type["type"], by_type["sources"].astype(int))), unit="count"
)
tables.for_display(by_type)

# %% [markdown]
# ### Revisions: the same figure, different values
#
# Each Secretary-General report revises earlier counts. All values are kept; the preferred one (first
# in each group) is never read only on a copy page where another source gives it, then has the
# higher confidence, then comes from the later UN report.

# %%
revisions = overview.revisions("allegations")
pko.results.record(
    "allegation_figures_revised",
    int(revisions[["year", "scope", "measure"]].drop_duplicates().shape[0]),
    unit="count",
)
tables.for_display(revisions.query("measure == 'allegations_total'"))

# %% [markdown]
# The yearly headline count as **first published** and as **last revised**, with the document that
# published each (the UN's peacekeeping count up to 2016, peacekeeping and special political missions
# from 2017; the two labels are compared as one series). *First published* is the earliest dated
# source giving the year's data, the Secretary-General's annual report included: where that report's
# own figure is not in the sources (2016: A/71/818, February 2017; 2022: A/77/748, 2023)
# *First published value* is missing and *Earliest known value* gives the earliest figure in hand
# (2016: 103, the UN conduct fact sheet's count for field missions quoted in April 2017; A/72/751
# gives 104 for the same coverage: a revision, not a difference of scope; see `data/README.md`).

# %%
if "allegations" in names:
    headline = pko.curated.revisions(start_year, end_year)
    pko.results.record(
        "headline_years_revised",
        [int(y) for y in headline.loc[headline["revised"], "year"]],
        unit="year",
    )
    display(
        tables.for_display(
            headline[
                [
                    "year",
                    "first_value",
                    "first_document",
                    "first_date",
                    "first_known_value",
                    "latest_value",
                    "latest_document",
                    "latest_date",
                    "preferred_value",
                ]
            ]
        )
    )
else:
    print("first published and latest counts: needs the allegations dataset")

# %% [markdown]
# ## The UN, NATO and OSCE in the 2011 report
#
# Personnel and missions as the 2011 report gives them, then what each organization does on codes of
# conduct, training, victim assistance and investigations, and the cases reported. The UN's reported
# counts stand against NATO's and the OSCE's "no known reports": the organizations do not count the
# same things, and only the UN publishes allegation counts.

# %%
figures = overview.organization_figures(2011)
tables.for_display(figures[["organization", "measure", "value", "confidence"]])

# %%
size = overview.organization_sizes(2011)  # each figure with what it counts, in words
fig, ax = plt.subplots(figsize=(7, 2.8))
plots.dot_values(
    size,
    x="value",
    y="label",
    text="stated",
    ax=ax,
    xlabel="personnel (linear scale)",
    title="Personnel of the UN, NATO and the OSCE, as the 2011 report states them",
)
_ = plots.save(fig, out / "organizations.png", show=True)  # the files written

# %%
comparison = overview.organization_comparison()
for topic, row in comparison.iterrows():
    print(topic.replace("_", " ").upper())
    for org, text in row.items():
        print(nb.wrap(f"{org}: {text}", indent="    "))
    print()

# %% [markdown]
# ## Sources
#
# Every source cited by the tables shown above, with the number of rows citing it: primary documents
# (UN documents by symbol, UN data and pages, government reports) first, then secondary sources. Export
# them with `pkoresearch data cite DATASET --format bibtex` (or `csl-json`).

# %%
pko.results.record("sources_cited", len(overview.sources_table(frames)), unit="count")
nb.print_sources(frames)
