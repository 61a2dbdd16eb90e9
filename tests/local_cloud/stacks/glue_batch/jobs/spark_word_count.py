"""Glue probe job on real PySpark: a Python UDF (runs in the PYSPARK_PYTHON worker), Parquet written to
the run's working directory and read back, the counts uploaded to S3 with boto3."""

import argparse
import json
from collections import Counter

import boto3
from pyspark.sql import SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import StringType

parser = argparse.ArgumentParser()
parser.add_argument("--bucket", required=True)
parser.add_argument("--output_key", required=True)
args, _ = parser.parse_known_args()

spark = (
    SparkSession.builder.master("local[1]")
    .appName("spark-word-count")
    .config("spark.sql.shuffle.partitions", "1")  # 200 by default: many empty tasks on two cores
    .config("spark.ui.enabled", "false")
    .getOrCreate()
)
reviews = spark.createDataFrame([("A good book",), ("GOOD book, boring end",)], ["text"])
normalise = F.udf(lambda word: word.strip(",.").lower(), StringType())
words = reviews.select(F.explode(F.split("text", " ")).alias("word")).select(normalise("word").alias("word"))
words.where(F.col("word").isin("good", "book", "boring")).write.mode("overwrite").parquet("words.parquet")
result = Counter(row["word"] for row in spark.read.parquet("words.parquet").collect())
boto3.client("s3").put_object(Bucket=args.bucket, Key=args.output_key, Body=json.dumps(result).encode())
print(f"word counts: {dict(result)}")
spark.stop()
