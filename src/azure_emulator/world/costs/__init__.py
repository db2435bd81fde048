"""Cost data generated from the world: meters, daily charges, report files, totals.

``generate.build_units`` + ``generate.iter_charges`` stream charges; ``report.write_report``
writes them as Cost Details CSV blobs; ``totals.totals`` is the truth tests compare with.
"""
