"""HLA nomenclature: names, GL Strings, MACs, serology and one IPD-IMGT/HLA release as lookup tables.

The lowest layer of :mod:`engraft.hla`: it imports nothing from the other HLA sub-packages.

* :mod:`~engraft.hla.nomenclature.allele_name`, :mod:`~engraft.hla.nomenclature.gl_string`,
  :mod:`~engraft.hla.nomenclature.mac`: syntax of allele names, GL Strings and NMDP multiple-allele codes;
* :mod:`~engraft.hla.nomenclature.release_files`: the one reader of release files (explicit paths);
* :mod:`~engraft.hla.nomenclature.tables`: :class:`Nomenclature`, the release as integer-coded lookup
  tables (G/P groups, 2-field names, serology, deleted and renamed alleles) and token expansion;
* :mod:`~engraft.hla.nomenclature.serology`: broad/split/associated antigens;
* :mod:`~engraft.hla.nomenclature.tce_table`: DPB1 T-cell-epitope groups per allele;
* :mod:`~engraft.hla.nomenclature.batch_reducer`: vectorised reduction of many allele names.
"""

from engraft.hla.nomenclature.allele_name import AlleleName, parse_allele_name
from engraft.hla.nomenclature.batch_reducer import BatchReducer
from engraft.hla.nomenclature.errors import HlaError, HlaNomenclatureError, HlaReleaseError
from engraft.hla.nomenclature.gl_string import (
    AlleleList,
    Genotype,
    GenotypeList,
    GlString,
    Haplotype,
    parse_gl_string,
)
from engraft.hla.nomenclature.mac import MacDictionary
from engraft.hla.nomenclature.release_files import (
    REQUIRED_FILES,
    ReleaseFiles,
    ReleaseTables,
    open_release_dir,
    read_release_tables,
)
from engraft.hla.nomenclature.serology import AntigenProfile, SerologyTable
from engraft.hla.nomenclature.tables import Expansion, Nomenclature, Resolution
from engraft.hla.nomenclature.tce_table import TceTable, TceVersion

__all__ = [
    "REQUIRED_FILES",
    "AlleleList",
    "AlleleName",
    "AntigenProfile",
    "BatchReducer",
    "Expansion",
    "Genotype",
    "GenotypeList",
    "GlString",
    "Haplotype",
    "HlaError",
    "HlaNomenclatureError",
    "HlaReleaseError",
    "MacDictionary",
    "Nomenclature",
    "ReleaseFiles",
    "ReleaseTables",
    "Resolution",
    "SerologyTable",
    "TceTable",
    "TceVersion",
    "open_release_dir",
    "parse_allele_name",
    "parse_gl_string",
    "read_release_tables",
]
