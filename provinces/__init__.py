"""Any of the 34 provinces as configuration: `ioc province init <code|name>` writes a province
folder (province.toml, communes.csv, agencies.csv) from the `vietnam-provinces` package and an
agency template. divisions.py finds a province and its units (pure over the package's data);
folder.py makes the files' texts and writes them."""
