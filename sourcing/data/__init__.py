"""Load and validate: every reader, the schema, and the one place a document becomes an instance.

    files        every input file opened here: regular, bounded, YAML/JSON parsed strictly
    io           load an instance (CSV folder, JSON/YAML document, workbook) and a model file
    workbook     the Excel reader and writer (instance and plan)
    documents    validation in one place: a raw document becomes an Instance or an InputError
    schema       the public data contract: tables, columns, model files
    numeric      the one way a number is read
    references   checks between tables: unknown names, duplicate keys
    messages     pydantic's errors in a planner's words (table, row, field)
    convert      write an instance in any form the loader reads
    units        the same instance in other units
    starter      ``sourcing init``: a starting instance to edit
    rows         typed rows of a table

Readers return raw documents; nothing here imports the model, the solver or the results.
"""
