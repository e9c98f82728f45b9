// Maps MySQL column metadata (as mysql2 reports it) to the Vitess field shape of the PlanetScale
// protocol. The driver decides how to decode a value from `type` and `charset` alone.
import type { FieldPacket } from "mysql2/promise";

const BINARY_CHARSET = 63;
const UNSIGNED_FLAG = 32;
const ENUM_FLAG = 256;
const SET_FLAG = 2048;

const INTEGER_TYPES: Record<number, string> = { 1: "INT8", 2: "INT16", 9: "INT24", 3: "INT32", 8: "INT64" };

const PLAIN_TYPES: Record<number, string> = {
  0: "DECIMAL",
  246: "DECIMAL",
  4: "FLOAT32",
  5: "FLOAT64",
  6: "NULL_TYPE",
  7: "TIMESTAMP",
  10: "DATE",
  11: "TIME",
  12: "DATETIME",
  13: "YEAR",
  14: "DATE",
  16: "BIT",
  245: "JSON",
  247: "ENUM",
  248: "SET",
  255: "GEOMETRY",
};

function typeName(mysqlType: number, flags: number, charset: number, extendedFormat?: string): string {
  const integer = INTEGER_TYPES[mysqlType];
  if (integer) return flags & UNSIGNED_FLAG ? `U${integer}` : integer;
  const plain = PLAIN_TYPES[mysqlType];
  if (plain) return plain;
  // MariaDB stores JSON as LONGTEXT but announces the format in its extended metadata.
  if (extendedFormat === "json") return "JSON";
  if (flags & ENUM_FLAG) return "ENUM";
  if (flags & SET_FLAG) return "SET";
  const binary = charset === BINARY_CHARSET;
  if (mysqlType >= 249 && mysqlType <= 252) return binary ? "BLOB" : "TEXT";
  if (mysqlType === 15 || mysqlType === 253) return binary ? "VARBINARY" : "VARCHAR";
  if (mysqlType === 254) return binary ? "BINARY" : "CHAR";
  return "VARCHAR";
}

export function vitessField(field: FieldPacket) {
  const meta = field as FieldPacket & { columnType?: number; characterSet?: number; extendedFormat?: string };
  const mysqlType = meta.columnType ?? 253;
  const charset = meta.characterSet ?? 0;
  const flags = typeof meta.flags === "number" ? meta.flags : 0;
  const type = typeName(mysqlType, flags, charset, meta.extendedFormat);
  return {
    name: field.name,
    type,
    table: field.table,
    orgTable: field.orgTable,
    database: field.db,
    orgName: field.orgName,
    columnLength: meta.columnLength,
    // The driver treats charset 63 as "return bytes"; JSON is text even when MySQL calls it binary.
    charset: type === "JSON" ? 255 : charset,
    flags,
    decimals: field.decimals,
  };
}
