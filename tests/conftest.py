from tests.bankfixtures import bank_dir  # noqa: F401  (fixture)
