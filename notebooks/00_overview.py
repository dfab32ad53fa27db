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
dataset_names: "Optional[list]" = None  # curated datasets to describe; None for all bundled datasets
start_year: int = 1992  # first year shown in the coverage table and figure
end_year: int = 2025  # last year shown in the coverage table and figure
preferred_only: bool = True  # True: one value per figure where sources disagree; False: every revision
output_dir: str = ""  # folder for figures and results.json; "" means reports/00_overview

# %%
import matplotlib.pyplot as plt

import pkoresearch as pko
from pkoresearch import notebook as nb
from pkoresearch import overview, plots

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
    print(nb.wrap(f"- {name}: {text}", indent="  "))

# %% [markdown]
# ## What is bundled
#
# One row per curated table: how many sourced figures it holds (`rows`), how many remain when only the
# preferred value of each disputed figure is kept, the years covered and the number of distinct sources.

# %%
catalogue = pko.datasets().set_index("dataset").loc[names].reset_index()
pko.results.record("datasets", len(catalogue))
pko.results.record("curated_rows", int(catalogue["rows"].sum()))
catalogue[["dataset", "rows", "preferred_rows", "first_year", "last_year", "sources"]]

# %% [markdown]
# ## Coverage by year
#
# Sourced figures per dataset and year. Gaps are real: no confirmed totals for 2005-2006, no breakdowns
# for 2007-2009, 2011 and 2013, exact women counts only for Nov 2009 - Feb 2014 and Jan 2021.

# %%
coverage = overview.coverage_table(names, start_year, end_year, preferred=preferred_only)
fig, ax = plt.subplots(figsize=(9, 3.6))
plots.heatmap(coverage, x="year", y="dataset", value="rows", ax=ax,
                       title=f"Sourced figures per year, {start_year}-{end_year}")
plots.save(fig, out / "coverage.png")
plt.show()

# %%
years_with_data = coverage.groupby("dataset")["year"].agg(["min", "max", "nunique"])
years_with_data.columns = ["first_year", "last_year", "years_with_data"]
years_with_data

# %% [markdown]
# ## Provenance and confidence
#
# `high`: read in the publisher's own text or data file; `medium`: a secondary source quoting the UN;
# `low`: weak or unconfirmed. Every row carries `source_id`, `locator` and `confidence`.

# %%
confidence = overview.confidence_table(names, preferred=preferred_only)
fig, ax = plt.subplots(figsize=(7, 3.6))
plots.confidence_bars(confidence, ax=ax, title="Rows by confidence")
plots.save(fig, out / "confidence.png")
plt.show()
share_high = confidence.query("confidence == 'high'")["rows"].sum() / confidence["rows"].sum()
pko.results.record("share_rows_high_confidence", round(float(share_high), 4))
print(f"{share_high:.1%} of the rows shown are high confidence")

# %% [markdown]
# ### Revisions: the same figure, different values
#
# Each Secretary-General report revises earlier counts. All values are kept; the preferred one (first
# in each group) has the higher confidence, then comes from the later UN report.

# %%
revisions = overview.revisions("allegations")
pko.results.record("allegation_figures_revised", int(revisions[["year", "scope", "measure"]].drop_duplicates().shape[0]))
revisions.query("measure == 'allegations_total'")

# %% [markdown]
# ## The UN, NATO and OSCE in the 2011 report
#
# Personnel and missions as the 2011 report gives them, then what each organization does on codes of
# conduct, training, victim assistance and investigations, and the cases reported. The UN's reported
# counts stand against NATO's and the OSCE's "no known reports": the organizations do not count the
# same things, and only the UN publishes allegation counts.

# %%
figures = overview.organization_figures(2011)
figures[["organization", "measure", "value", "confidence"]]

# %%
size = figures[figures["measure"].str.contains("personnel|troops")].copy()
size["what"] = size["organization"].astype(str) + "\n" + size["measure"].str.replace("_", " ").str.slice(0, 30)
fig, ax = plt.subplots(figsize=(7, 3.6))
plots.grouped_bars(size, x="what", y="value", ax=ax, log=True,
                   title="Personnel covered, as stated in the 2011 report (log scale)")
plots.save(fig, out / "organizations.png")
plt.show()

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
# Every source cited by the tables shown above, with the number of rows citing it.

# %%
frames = [pko.load(n, preferred=preferred_only) for n in names]
pko.results.record("sources_cited", len(overview.sources_table(frames)))
nb.print_sources(frames)
